/**
 * A separate process that measures how responsive a `serve` process is: app.info round trips
 * every 50 ms on its own connection. It runs apart from the test that attacks the server, so the
 * attacker's own work (encoding a 64 MB message) cannot show up as server latency.
 * Parent → child messages: 'reset' | 'report'; child → parent: { max, samples } after 'report'.
 */
import WebSocket from 'ws';
import { decodeWire, encodeWire } from '../../src-main/ipc/wire.ts';

const [port, token] = process.argv.slice(2);
const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`, { origin: `http://127.0.0.1:${port}` });
let worst = 0;
let samples = 0;
let next = 1;
const waiting = new Map<number, () => void>();
ws.on('message', (d) => {
  const m = decodeWire(d.toString()) as { id: number };
  waiting.get(m.id)?.();
  waiting.delete(m.id);
});
ws.on('error', () => {});
ws.once('open', async () => {
  process.send!('ready');
  for (;;) {
    const t = performance.now();
    const id = next++;
    await new Promise<void>((r) => {
      waiting.set(id, r);
      ws.send(encodeWire({ id, channel: 'app.info', args: [] }));
    });
    worst = Math.max(worst, performance.now() - t);
    samples++;
    await new Promise((r) => setTimeout(r, 50));
  }
});
process.on('message', (m) => {
  if (m === 'reset') {
    worst = 0;
    samples = 0;
    process.send!('reset');
  } else if (m === 'report') process.send!({ max: worst, samples });
  else if (m === 'stop') {
    ws.close();
    process.exit(0);
  }
});
