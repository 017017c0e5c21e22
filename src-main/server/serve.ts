/**
 * @file `vocab-tuner serve`: the renderer over HTTP on 127.0.0.1 plus the API over a WebSocket
 * (`/api?token=…`), so the app runs in a browser against a (GPU) machine. The same handlers and
 * validation as Electron's IPC; jobs run in child processes so this loop stays responsive.
 *
 *   const s = await startServer({ dataDir, rendererDir });
 *   console.log(s.url);      // http://127.0.0.1:PORT/?token=…
 *   await s.close();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeStore, openStore } from '../store/store.ts';
import { JobHost } from '../jobs/host.ts';
import { createHandlers } from '../ipc/handlers.ts';
import type { Events, Handlers } from '../ipc/contract.ts';
import { LIMITS } from '../ipc/limits.ts';
import { encodeWire, type WireMessage } from '../ipc/wire.ts';
import { serveConnection } from './connection.ts';
import { checkUpgrade, newToken } from './security.ts';
import { serveStatic } from './static.ts';

export interface ServeOptions {
  dataDir: string;
  /** Folder with the built renderer (index.html + assets/). */
  rendererDir: string;
  /** 0 = any free port. */
  port?: number;
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  handlers: Handlers;
  jobs: JobHost;
  close(): Promise<void>;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const token = opts.token ?? newToken();
  const store = openStore(opts.dataDir);
  const clients = new Set<WebSocket>();
  const broadcast = (event: string, payload: unknown) => {
    const msg = encodeWire({ event, payload } satisfies WireMessage);
    for (const c of clients) if (c.readyState === c.OPEN) c.send(msg);
  };
  const jobs = new JobHost((e) => broadcast(e.name, e.payload));
  const handlers = createHandlers({ store, jobs, mode: 'browser', emit: <E extends keyof Events>(event: E, payload: Events[E]) => broadcast(event, payload) });

  const server = http.createServer((req, res) => serveStatic(opts.rendererDir, req, res));
  // No compression: an inflated frame is a zip bomb the size limit would only see afterwards.
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.messageBytes, perMessageDeflate: false });
  let port = 0;

  // A malformed HTTP request or a reset mid-request: answer 400 if we still can; never crash.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('upgrade', (req, socket, head) => {
    // Node drops its own error listener from an upgraded socket: without ours, a client that
    // resets the connection while we refuse it raises an unhandled ECONNRESET and exits the server.
    socket.on('error', () => socket.destroy());
    const check = checkUpgrade(req, port, token);
    const refuse = (status: 401 | 403 | 404 | 503, reason: string) => {
      const text = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status];
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason}\n`);
    };
    if (!check.ok) return refuse(check.status, check.reason);
    if (clients.size >= LIMITS.connections) return refuse(503, `${LIMITS.connections} pages are already connected; close one and reload.`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      serveConnection(ws, handlers);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    handlers,
    jobs,
    async close() {
      for (const c of clients) c.terminate();
      await jobs.close();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      closeStore(store);
    },
  };
}
