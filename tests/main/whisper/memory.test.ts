/** Every tensor is owned: transcribing 10 clips leaves tf.memory().numTensors where it was. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { transcribeSamples } from '../../../src-main/whisper/transcribe.ts';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { JFK_WAV, MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

test('tensor count is flat across 10 transcriptions (greedy, beam and prompted)', { skip: NEEDS_REFERENCE, timeout: 10 * 60_000 }, async () => {
  await initBackend('wasm');
  const w = await loadWhisper(MICRO_F32);
  const jfk = decodeWav(readFileSync(JFK_WAV)).channels[0];
  // Ten different clips: slices of the jfk recording, one longer than 30 s (two windows).
  const clips = Array.from({ length: 9 }, (_, i) => jfk.subarray(i * 8000, jfk.length - i * 4000));
  const long = new Float32Array(jfk.length * 3);
  for (let k = 0; k < 3; k++) long.set(jfk, k * jfk.length);
  clips.push(long);
  const before = tf.memory().numTensors;
  for (const [i, clip] of clips.entries()) {
    const t = await transcribeSamples(w.model, w.tokenizer, clip, { temperatures: [0], sampleLen: 6, beamSize: i % 3 === 1 ? 2 : undefined, initialPrompt: i % 3 === 2 ? 'PyTorch CUDA' : undefined });
    assert.ok(t.segments.length >= 1);
    if (i === 9) assert.equal(t.segments.length, 2, 'a 33 s clip is two 30 s windows');
  }
  const after = tf.memory().numTensors;
  console.log(`tensors before ${before}, after 10 transcriptions ${after}`);
  assert.equal(after, before);
  w.model.dispose();
});
