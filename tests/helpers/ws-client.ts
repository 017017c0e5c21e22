/**
 * A client for `vocab-tuner serve`'s WebSocket API, as the renderer's browser transport speaks it:
 * token in the URL, our own Origin, wire-encoded calls and events.
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { RunningServer } from '../../src-main/server/serve.ts';
import { decodeWire, encodeWire } from '../../src-main/ipc/wire.ts';

export async function connectApi(server: RunningServer) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  let next = 1;
  const waiting = new Map<number, (r: any) => void>();
  const events: { event: string; payload: any }[] = [];
  ws.on('message', (d) => {
    const m = decodeWire(d.toString()) as { id?: number; result?: unknown; event?: string; payload?: unknown };
    if (m.event) events.push({ event: m.event, payload: m.payload });
    else waiting.get(m.id!)?.(m.result);
  });
  /** The raw IpcResult ({ ok, value } or { ok: false, error }). */
  const call = (channel: string, ...args: unknown[]) =>
    new Promise<any>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(encodeWire({ id, channel, args }));
    });
  /** The value, or a failure naming the channel and the back end's error. */
  const ok = async (channel: string, ...args: unknown[]) => {
    const r = await call(channel, ...args);
    assert.equal(r.ok, true, `${channel}: ${JSON.stringify(r.error)}`);
    return r.value;
  };
  /** Waits for a job's job.finished event and returns its payload. */
  const finished = async (jobId: string) => {
    const find = () => events.find((e) => e.event === 'job.finished' && e.payload.jobId === jobId);
    while (!find()) await new Promise((r) => setTimeout(r, 50));
    return find()!.payload;
  };
  return { ws, call, ok, events, finished };
}
