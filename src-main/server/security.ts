/**
 * @file Who may talk to `vocab-tuner serve`. The server listens on 127.0.0.1 only, but any web page
 * the user visits can also reach 127.0.0.1 from their browser, so a connection must prove it came
 * from our page: the random token (only our page's URL holds it), an Origin equal to the page's
 * own address (a foreign page cannot forge Origin), and a Host naming a loopback address (stops
 * DNS rebinding, where evil.example resolves to 127.0.0.1 and becomes "same origin").
 *
 * The Host's port may differ from ours: an SSH tunnel (`ssh -L 9000:127.0.0.1:8765 box`) serves
 * our page at http://127.0.0.1:9000, so the browser sends Host 127.0.0.1:9000. That is accepted
 * when the Origin is exactly http://<that Host> — the page was loaded through the same tunnel.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokenMatches(expected: string, got: string | null): boolean {
  if (!got) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(got);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The origins our page can have: the same port on the loopback names a browser may use. */
export function allowedOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/;

/** A loopback name with an explicit port, any port (a tunnel's local end may use another). */
export function allowedHost(host: string | undefined): boolean {
  const m = host === undefined ? null : LOOPBACK_HOST.exec(host);
  return m !== null && Number(m[2]) > 0 && Number(m[2]) <= 65535;
}

/** Our own origins, or — through a tunnel — exactly the origin of the loopback Host asked for. */
export function allowedOrigin(origin: string | undefined, host: string, port: number): boolean {
  return origin !== undefined && (allowedOrigins(port).includes(origin) || origin === `http://${host}`);
}

/**
 * Content Security Policy for the renderer, in both Electron and the browser: only our own
 * scripts (no inline, no eval); styles from us plus inline <style> because wavesurfer.js puts one
 * in its shadow root (styles cannot run code, so this is the cheap exception); media from blobs
 *  (recorded audio; wavesurfer fetches the take's blob: URL) and the WebSocket back to us.
 */
export function contentSecurityPolicy(connect: string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    `connect-src 'self' blob: ${connect.join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export type UpgradeCheck = { ok: true } | { ok: false; status: 401 | 403 | 404; reason: string };

/** Decides whether a WebSocket upgrade request may proceed. */
export function checkUpgrade(req: { url?: string; headers: Record<string, string | string[] | undefined> }, port: number, token: string): UpgradeCheck {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname !== '/api') return { ok: false, status: 404, reason: 'no such endpoint' };
  const host = req.headers.host as string | undefined;
  if (!allowedHost(host)) return { ok: false, status: 403, reason: 'Host is not a loopback address (127.0.0.1, localhost or [::1] with a port)' };
  const origin = req.headers.origin as string | undefined;
  if (!allowedOrigin(origin, host!, port)) return { ok: false, status: 403, reason: `Origin ${origin ?? '(none)'} is not this server` };
  if (!tokenMatches(token, url.searchParams.get('token'))) return { ok: false, status: 401, reason: 'missing or wrong token' };
  return { ok: true };
}
