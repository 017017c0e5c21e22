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
import { dispatch } from '../ipc/dispatch.ts';
import type { Events, Handlers } from '../ipc/contract.ts';
import { decodeWire, encodeWire, type WireMessage } from '../ipc/wire.ts';
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

/** Largest accepted message: a 10-minute 48 kHz float clip, base64 (≈ 4/3 overhead), with slack. */
const MAX_MESSAGE_BYTES = 160 * 1024 * 1024;

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
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let port = 0;

  server.on('upgrade', (req, socket, head) => {
    const check = checkUpgrade(req, port, token);
    if (!check.ok) {
      const text = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[check.status];
      socket.end(`HTTP/1.1 ${check.status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${check.reason}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', async (data, isBinary) => {
        let id = -1;
        try {
          if (isBinary) throw new Error('binary frames are not part of the protocol');
          const req = decodeWire(data.toString()) as { id?: unknown; channel?: unknown; args?: unknown };
          if (typeof req?.id !== 'number') throw new Error('a request needs a numeric id');
          id = req.id;
          const result = await dispatch(handlers, req.channel, req.args);
          ws.send(encodeWire({ id, result } satisfies WireMessage));
        } catch (e) {
          ws.send(encodeWire({ id, result: { ok: false, error: { code: 'INVALID_ARGUMENT', message: `Malformed request: ${(e as Error).message}.` } } }));
        }
      });
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
