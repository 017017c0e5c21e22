/**
 * Conformance against the upstream openai/whisper reference (PyTorch, float32): encoder output,
 * logits and teacher-forced log-probs for the float32 and float16 fixtures, from the golden mel and
 * from our own mel of the jfk clip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper, type LoadedWhisper } from '../../../src-main/whisper/load.ts';
import { probeTranscript } from '../../../src-main/whisper/probe.ts';
import { readFileSync } from 'node:fs';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { logMelSpectrogram, padOrTrim } from '../../../src-main/audio/mel.ts';
import { JFK_TEXT, JFK_WAV, MICRO_F16, MICRO_F32, NEEDS_REFERENCE, REFERENCE, goldenPath, maxDiff, readF32, readGolden } from '../../helpers/reference.ts';

const CASES = [
  { name: 'whisper-micro-en', dir: MICRO_F32 },
  { name: 'whisper-micro-en-f16', dir: MICRO_F16 },
] as const;

for (const c of CASES) {
  test(`${c.name}: encoder, logits and teacher-forced log-probs match upstream`, { skip: NEEDS_REFERENCE }, async () => {
    await initBackend('wasm');
    const g = readGolden(c.name);
    const w: LoadedWhisper = await loadWhisper(c.dir);
    const before = tf.memory().numTensors;
    const mel = tf.tensor3d(readF32(`${REFERENCE}/mel/jfk-30s-80.f32`), [1, 80, 3000]);
    const enc = w.model.encode(mel);
    const e = maxDiff(enc.dataSync(), readF32(goldenPath(c.name, 'encoder_out.f32')));
    console.log(`${c.name} encoder max|Δ| ${e.diff.toExponential(2)} (scale ${e.scale.toFixed(2)})`);
    assert.ok(e.diff <= 1e-3 * e.scale, `encoder differs by ${e.diff}`);

    const ids = tf.tensor2d([g.decoder_input_ids], undefined, 'int32');
    const logits = w.model.decodeFull(ids, enc);
    const l = maxDiff(logits.dataSync(), readF32(goldenPath(c.name, 'logits.f32')));
    console.log(`${c.name} logits max|Δ| ${l.diff.toExponential(2)} (scale ${l.scale.toFixed(2)})`);
    assert.ok(l.diff <= 1e-3 * l.scale, `logits differ by ${l.diff}`);

    const probe = await probeTranscript(w.model, w.tokenizer, enc, JFK_TEXT, { topK: 3 });
    assert.deepEqual(probe.prefix, g.decoder_input_ids.slice(0, 2));
    assert.deepEqual(probe.tokens.map((t) => t.id), g.loss.labels.slice(1));
    // golden log-probs start at the <|notimestamps|> label (predicted from SOT); the probe starts after the prefix.
    const want: number[] = g.teacher_forced_logprob_of_next_token.slice(1);
    const lp = maxDiff(probe.tokens.map((t) => t.logprob), want);
    console.log(`${c.name} teacher-forced log-probs max|Δ| ${lp.diff.toExponential(2)}`);
    assert.ok(lp.diff <= 2e-3, `log-probs differ by ${lp.diff}`);
    tf.dispose([mel, enc, ids, logits]);
    assert.equal(tf.memory().numTensors, before, 'tensor count must stay flat');
    w.model.dispose();
  });
}

test('our mel of the jfk clip gives the golden encoder output', { skip: NEEDS_REFERENCE }, async () => {
  await initBackend('wasm');
  const w = await loadWhisper(MICRO_F32);
  const samples = decodeWav(readFileSync(JFK_WAV)).channels[0];
  const mel = logMelSpectrogram(padOrTrim(samples), 80);
  const enc = tf.tidy(() => w.model.encode(tf.tensor3d(mel.data, [1, 80, mel.nFrames])));
  const e = maxDiff(enc.dataSync(), readF32(goldenPath('whisper-micro-en', 'encoder_out.f32')));
  assert.ok(e.diff <= 1e-3 * e.scale, `encoder from our mel differs by ${e.diff}`);
  enc.dispose();
  w.model.dispose();
});
