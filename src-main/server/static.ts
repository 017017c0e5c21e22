/**
 * @file Serves the built renderer (`dist-renderer/`) over HTTP: files only from that folder
 * (no traversal, no symlinks out), `index.html` for `/`, security headers on every response.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentSecurityPolicy } from './security.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    // The token is in our URL: never send it to anyone in a Referer.
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'microphone=(self), camera=(), geolocation=()',
  };
}

export type StaticFile = { status: 200; file: string; type: string; cache: string } | { status: 400 | 404 };

/**
 * The file a URL path names under `root`: decoded, `index.html` for a folder path, real path
 * inside the real root (no traversal, no symlink out), a regular file. Shared by `serve` and the
 * desktop app's app:// protocol (electron/app-protocol.ts).
 */
export function resolveStatic(root: string, pathname: string): StaticFile {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return { status: 400 };
  }
  if (rel.includes('\0')) return { status: 400 };
  if (rel.endsWith('/')) rel += 'index.html';
  let realRoot: string;
  let real: string;
  try {
    realRoot = fs.realpathSync(root);
    real = fs.realpathSync(path.resolve(realRoot, '.' + rel));
  } catch {
    return { status: 404 }; // no such file (or no renderer build at all)
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return { status: 404 };
  if (!fs.statSync(real).isFile()) return { status: 404 };
  const type = TYPES[path.extname(real)] ?? 'application/octet-stream';
  // Hashed asset names can be cached forever; index.html must always be fresh.
  const cache = rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  return { status: 200, file: real, type, cache };
}

export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...securityHeaders(), 'Content-Type': type, ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method not allowed\n', undefined, { Allow: 'GET, HEAD' });
  let pathname: string;
  try {
    pathname = new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    return send(400, 'Bad path\n');
  }
  const f = resolveStatic(root, pathname);
  if (f.status !== 200) return send(f.status, f.status === 400 ? 'Bad path\n' : 'Not found\n');
  send(200, fs.readFileSync(f.file), f.type, { 'Cache-Control': f.cache });
}
