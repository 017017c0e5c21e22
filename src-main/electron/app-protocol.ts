/**
 * @file The desktop app's page comes from `app://vocab-tuner/`, not `file://`. A file:// page
 * shares its origin with every file on the disk (Chromium treats file: URLs as one opaque origin
 * with extra privileges), so a page that navigated to — or framed — another local file would be
 * "our page" by origin. A custom scheme registered as standard and secure gives the renderer a
 * real origin of its own, `app://vocab-tuner`, that serves only `dist-renderer/` (through the same
 * path checks as `serve`: no traversal, no symlinks out) with the CSP and security headers.
 *
 *   registerAppScheme(electron.protocol)                    // before app.whenReady()
 *   handleAppProtocol(electron.protocol, RENDERER_DIR)      // after it
 *   win.loadURL(APP_INDEX)
 */
import fs from 'node:fs';
import { resolveStatic, securityHeaders } from '../server/static.ts';
import type { ProtocolLike } from './electron-like.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'vocab-tuner';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX = `${APP_ORIGIN}/index.html`;

/**
 * standard: real origin and relative URLs; secure: a secure context (getUserMedia for the
 * microphone); supportFetchAPI and stream: the page fetches its assets and wasm through it.
 * Not bypassCSP, not corsEnabled: nothing else may read from it.
 */
export const APP_SCHEME_PRIVILEGES = { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true } };

export function registerAppScheme(protocol: ProtocolLike): void {
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
}

/** The response for one app:// request: a file under `rendererDir`, or 404/405/400. */
export function appResponse(rendererDir: string, url: string, method = 'GET'): Response {
  const headers = (type: string, extra: Record<string, string> = {}) => ({ ...securityHeaders(), 'Content-Type': type, ...extra });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return new Response('Bad URL\n', { status: 400, headers: headers('text/plain; charset=utf-8') });
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return new Response('Not found\n', { status: 404, headers: headers('text/plain; charset=utf-8') });
  if (method !== 'GET' && method !== 'HEAD') return new Response('Method not allowed\n', { status: 405, headers: headers('text/plain; charset=utf-8', { Allow: 'GET, HEAD' }) });
  const f = resolveStatic(rendererDir, u.pathname);
  if (f.status !== 200) return new Response(f.status === 400 ? 'Bad path\n' : 'Not found\n', { status: f.status, headers: headers('text/plain; charset=utf-8') });
  return new Response(method === 'HEAD' ? null : fs.readFileSync(f.file), { status: 200, headers: headers(f.type, { 'Cache-Control': f.cache }) });
}

export function handleAppProtocol(protocol: ProtocolLike, rendererDir: string): void {
  protocol.handle(APP_SCHEME, (req) => appResponse(rendererDir, req.url, req.method));
}
