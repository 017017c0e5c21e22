/**
 * Large API messages are decoded in slices (server/large-message.ts): the same values as
 * decodeWire, malformed ones refused, and no single loop turn spends long on a 48 MiB file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { decodeWireLarge } from '../../../src-main/server/large-message.ts';
import { decodeWire, encodeWire } from '../../../src-main/ipc/wire.ts';

test('big and small binary values round-trip exactly, beside ordinary JSON', async () => {
  const big = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 255);
  const pcm = new Float32Array(600_000).map((_, i) => Math.sin(i / 7));
  const msg = { id: 5, channel: 'clips.import', args: [{ name: 'a "quoted" $u8 name', bytes: big, small: new Uint8Array([1, 2, 3]), pcm, list: [1, { x: 'y' }] }] };
  const text = encodeWire(msg);
  const got = (await decodeWireLarge(Buffer.from(text))) as typeof msg;
  const want = decodeWire(text) as typeof msg;
  assert.deepEqual(got, want);
  assert.ok(got.args[0].bytes instanceof Uint8Array && got.args[0].bytes.length === big.length);
  assert.ok((got.args[0] as any).pcm instanceof Float32Array);
});

test('malformed big values are refused', async () => {
  const b64 = 'A'.repeat(1024 * 1024);
  await assert.rejects(decodeWireLarge(Buffer.from(`{"id":1,"args":[{"$u8":"${b64}!!!"}]}`)), /malformed/);
  await assert.rejects(decodeWireLarge(Buffer.from(`{"id":1,"args":[{"$u8":"${b64}`)), /malformed/);
  await assert.rejects(decodeWireLarge(Buffer.from(`{"id":1,"args":[{"$f32":"${'A'.repeat(1024 * 1024 - 4)}AA=="}]}`)), /malformed Float32Array/);
});

test('a 48 MiB file is decoded without one long loop turn', async () => {
  const text = encodeWire({ id: 1, channel: 'clips.import', args: [{ name: 'big.wav', bytes: new Uint8Array(48 * 1024 * 1024) }] });
  const buf = Buffer.from(text);
  const h = monitorEventLoopDelay({ resolution: 5 });
  const ticker = setInterval(() => {}, 5);
  h.enable();
  const v = (await decodeWireLarge(buf)) as { args: [{ bytes: Uint8Array }] };
  h.disable();
  clearInterval(ticker);
  assert.equal(v.args[0].bytes.length, 48 * 1024 * 1024);
  const max = h.max / 1e6;
  console.log(`48 MiB decode: worst loop delay ${max.toFixed(0)} ms`);
  assert.ok(max < 200, `a loop turn took ${max.toFixed(0)} ms`);
});

test('a large message without binary payloads is refused unparsed: too much JSON, or too many values', async () => {
  const longText = `{"id":1,"channel":"terms.add","args":[{"text":"${'a'.repeat(3 * 1024 * 1024)}"}]}`;
  await assert.rejects(decodeWireLarge(Buffer.from(longText), 200_000), (e: any) => e.code === 'MESSAGE_TOO_COMPLEX' && /3 MB of JSON/.test(e.message));
  const tiny = `{"id":1,"channel":"app.info","args":[${'{},'.repeat(500_000)}{}]}`;
  await assert.rejects(decodeWireLarge(Buffer.from(tiny), 200_000), (e: any) => e.code === 'MESSAGE_TOO_COMPLEX');
});
