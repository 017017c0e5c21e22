/**
 * @file The API over a WebSocket, for browser mode (`vocab-tuner serve`). Same `ApiClient` shape
 * as Electron's `window.api`; the token comes from the page's URL.
 */
import type { ApiClient, IpcResult } from '../../src-main/ipc/contract.ts';
import { decodeWire, encodeWire } from '../../src-main/ipc/wire.ts';
import { LIMITS } from '../../src-main/ipc/limits.ts';

export function connectWs(token: string): ApiClient & { onStatus(fn: (connected: boolean) => void): void } {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url);
  let next = 1;
  const pending = new Map<number, (r: IpcResult<unknown>) => void>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const statusFns: ((c: boolean) => void)[] = [];
  const opened = new Promise<void>((resolve) => ws.addEventListener('open', () => resolve()));
  ws.addEventListener('open', () => statusFns.forEach((f) => f(true)));
  ws.addEventListener('message', (e) => {
    const m = decodeWire(String(e.data)) as { id?: number; result?: IpcResult<unknown>; event?: string; payload?: unknown };
    if (m.event) listeners.get(m.event)?.forEach((fn) => fn(m.payload));
    else if (typeof m.id === 'number') {
      pending.get(m.id)?.(m.result!);
      pending.delete(m.id);
    }
  });
  ws.addEventListener('close', () => {
    statusFns.forEach((f) => f(false));
    for (const [, resolve] of pending) resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'The connection to the Vocab Tuner server was lost. Check that `vocab-tuner serve` is still running, then reload the page.' } });
    pending.clear();
  });
  return {
    async invoke(channel, ...args) {
      await opened;
      if (ws.readyState !== WebSocket.OPEN) return { ok: false, error: { code: 'DISCONNECTED', message: 'Not connected to the Vocab Tuner server; reload the page.' } } as never;
      const id = next++;
      const msg = encodeWire({ id, channel, args });
      // The server closes a connection that sends a larger frame; answer here instead.
      if (msg.length > LIMITS.messageBytes) {
        return { ok: false, error: { code: 'MESSAGE_TOO_LARGE', message: `${channel}: the request is ${(msg.length / 1048576).toFixed(0)} MB, over the server's ${(LIMITS.messageBytes / 1048576).toFixed(0)} MB message limit.` } } as never;
      }
      return new Promise((resolve) => {
        pending.set(id, resolve as (r: IpcResult<unknown>) => void);
        ws.send(msg);
      });
    },
    on(event, fn) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(fn as (p: unknown) => void);
      return () => set.delete(fn as (p: unknown) => void);
    },
    onStatus(fn) {
      statusFns.push(fn);
    },
  };
}
