/**
 * Decoding with timestamps: upstream's ApplyTimestampRules on the fixture model (the random model
 * must still produce a well-formed timestamp stream), and transcribe.py's segmentation of a window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { decodeWindow } from '../../../src-main/whisper/decoding/decode.ts';
import { timestampRules } from '../../../src-main/whisper/decoding/logits.ts';
import { splitAtTimestamps } from '../../../src-main/whisper/transcribe.ts';
import { MICRO_F32, NEEDS_REFERENCE, REFERENCE, readF32 } from '../../helpers/reference.ts';

const TB = 50363; // <|0.00|> in the English-only vocabulary

test('splitAtTimestamps follows transcribe.py: pairs close segments, the window advances to the last one', () => {
  // Ends on a single timestamp: two segments, advance by the whole window.
  let r = splitAtTimestamps([TB, 1, 2, TB + 50, TB + 50, 3, TB + 100], TB, 3000);
  assert.deepEqual(r.segments.map((s) => [s.tokens, s.start, s.end]), [[[TB, 1, 2, TB + 50], 0, 1], [[TB + 50, 3, TB + 100], 1, 2]]);
  assert.equal(r.advance, 3000);
  // Ends on a pair: the window advances to the last closing timestamp (frames = 2 per step).
  r = splitAtTimestamps([TB, 1, TB + 25, TB + 25, 2, TB + 60, TB + 60], TB, 3000);
  assert.deepEqual(r.segments.map((s) => [s.start, s.end]), [[0, 0.5], [0.5, 1.2]]);
  assert.equal(r.advance, 120);
  // No pair: one segment up to the last timestamp.
  r = splitAtTimestamps([TB + 10, 1, 2, TB + 75], TB, 2000);
  assert.deepEqual(r.segments.map((s) => [s.start, s.end]), [[0, 1.5]]);
  assert.equal(r.advance, 2000);
});

test('timestamp rules: first token a timestamp ≤ 1 s, pairs, never decreasing, <|notimestamps|> never', () => {
  const special = { timestampBegin: 10, eot: 5, noTimestamps: 6 };
  const f = timestampRules(special, 2, 3);
  const row = () => new Float32Array(20).fill(0);
  let r = row();
  f(r, [0, 1]); // first sampled position
  assert.deepEqual([...r].map((v, i) => (v === -Infinity ? 0 : i)).filter(Boolean), [10, 11, 12, 13]);
  r = row();
  f(r, [0, 1, 12]); // after a lone timestamp at the start: no timestamp (pairs need text between)
  assert.ok(r.slice(10).every((v) => v === -Infinity) && r[6] === -Infinity);
  r = row();
  r[5] = 10; // EOT likelier than all timestamps together, so rule 5 does not force a timestamp
  f(r, [0, 1, 12, 3, 14]); // text then a timestamp: no text, timestamps from 14 on
  assert.ok(r.slice(0, 5).every((v) => v === -Infinity));
  assert.ok(r.slice(10, 14).every((v) => v === -Infinity) && r[14] === 0 && r[5] === 10);
  r = row();
  f(r, [0, 1, 12, 3]); // all equal: the timestamps' total mass wins (rule 5), so no text token
  assert.ok(r.slice(0, 13).every((v) => v === -Infinity) && r.slice(13).every((v) => v === 0), "no text, and no timestamp before the last one + 1");
});

test('the fixture decodes a well-formed timestamped stream', { skip: NEEDS_REFERENCE }, async () => {
  await initBackend('wasm');
  const w = await loadWhisper(MICRO_F32);
  const audio = tf.tidy(() => w.model.encode(tf.tensor3d(readF32(`${REFERENCE}/mel/jfk-30s-80.f32`), [1, 80, 3000])));
  const r = await decodeWindow(w.model, w.tokenizer, audio, { language: 'en', sampleLen: 24, withoutTimestamps: false });
  const tb = w.tokenizer.special.timestampBegin;
  assert.ok(r.tokens[0] >= tb && r.tokens[0] <= tb + 50, 'the first token is a timestamp within 1 s');
  assert.ok(!r.tokens.includes(w.tokenizer.special.noTimestamps));
  const stamps = r.tokens.filter((t) => t >= tb);
  for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i] >= stamps[i - 1], 'timestamps never decrease');
  for (let i = 2; i < r.tokens.length; i++) assert.ok(!(r.tokens[i] >= tb && r.tokens[i - 1] >= tb && r.tokens[i - 2] >= tb), 'never three timestamps in a row');
  console.log(`timestamped tokens: ${r.tokens.map((t) => (t >= tb ? `<|${((t - tb) * 0.02).toFixed(2)}|>` : w.tokenizer.tokenText(t))).join('')}`);
  audio.dispose();
  w.model.dispose();
});
