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

export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...securityHeaders(), 'Content-Type': type, ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method not allowed\n', undefined, { Allow: 'GET, HEAD' });
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(400, 'Bad path\n');
  }
  if (rel.endsWith('/')) rel += 'index.html';
  const realRoot = fs.realpathSync(root);
  const file = path.resolve(realRoot, '.' + rel);
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return send(404, 'Not found\n');
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return send(404, 'Not found\n');
  if (!fs.statSync(real).isFile()) return send(404, 'Not found\n');
  const type = TYPES[path.extname(real)] ?? 'application/octet-stream';
  // Hashed asset names can be cached forever; index.html must always be fresh.
  const cache = rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  send(200, fs.readFileSync(real), type, { 'Cache-Control': cache });
}
