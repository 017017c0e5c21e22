import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { logMelSpectrogram, melFilters, padOrTrim, padOrTrimMel } from '../../../src-main/audio/mel.ts';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { N_FRAMES, N_SAMPLES } from '../../../src-main/audio/constants.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const ref = path.resolve(repoRoot, '../shared/reference');
const skip = !existsSync(ref) && 'needs ../shared/reference (not in a fresh clone)';

function readF32(file: string): Float32Array {
  const b = readFileSync(path.join(ref, 'mel', file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function jfk(): Float32Array {
  return decodeWav(readFileSync(path.join(ref, 'audio/jfk-16k.wav')), 'jfk-16k.wav').channels[0];
}

test('mel filters computed from the Slaney formula match librosa/whisper', { skip }, () => {
  for (const n of [80, 128] as const) {
    const f = melFilters(n);
    assert.equal(f.length, n * 201);
    const d = maxAbsDiff(f, readF32(`filters-${n}.f32`));
    console.log(`filters-${n}: max |diff| ${d.toExponential(2)}`);
    assert.ok(d < 1e-6, `filters-${n}: max diff ${d}`);
  }
});

test('mel filter sanity values from the spec (no fixture needed)', () => {
  const f = melFilters(80);
  assert.ok(Math.abs(f.reduce((a, b) => a + b, 0) - 1.9990242) < 1e-5);
  assert.ok(Math.abs(f[1] - 0.02486259) < 1e-7 && f[0] === 0 && f[2] === 0);
  assert.ok(Math.abs(melFilters(128).reduce((a, b) => a + b, 0) - 3.1909857) < 1e-5);
  assert.throws(() => melFilters(64 as 80));
});

test('log-mel of the padded 30 s jfk clip matches whisper (80 and 128 bins)', { skip }, () => {
  const audio = padOrTrim(jfk());
  assert.equal(audio.length, N_SAMPLES);
  for (const n of [80, 128] as const) {
    const t0 = performance.now();
    const mel = logMelSpectrogram(audio, n);
    const ms = performance.now() - t0;
    console.log(`timing: log-mel ${n} bins of 30 s: ${ms.toFixed(1)} ms`);
    assert.equal(mel.nMels, n);
    assert.equal(mel.nFrames, N_FRAMES);
    const d = maxAbsDiff(mel.data, readF32(`jfk-30s-${n}.f32`));
    console.log(`jfk-30s-${n}: max |diff| vs whisper ${d.toExponential(2)}`);
    assert.ok(d < 1e-4, `jfk-30s-${n}: max diff ${d}`);
  }
});

test('log-mel of the unpadded clip matches whisper (clamp over the clip itself)', { skip }, () => {
  const mel = logMelSpectrogram(jfk(), 80);
  assert.equal(mel.nFrames, 1100);
  const d = maxAbsDiff(mel.data, readF32('jfk-unpadded-80.f32'));
  console.log(`jfk-unpadded-80: max |diff| vs whisper ${d.toExponential(2)}`);
  assert.ok(d < 1e-4, `jfk-unpadded-80: max diff ${d}`);
});

test('padding argument equals appending zeros; padOrTrimMel pads with 0.0 and truncates', () => {
  const x = Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i * 0.05) * (i % 7 === 0 ? 0.9 : 0.3));
  const a = logMelSpectrogram(x, 80, 1600);
  const b = logMelSpectrogram(padOrTrim(x, 5600), 80);
  assert.equal(a.nFrames, 35);
  assert.deepEqual(a.data, b.data);
  const p = padOrTrimMel(a, 40);
  assert.equal(p.nFrames, 40);
  assert.equal(p.data[39], 0);
  assert.equal(p.data[0], a.data[0]);
  assert.equal(p.data[40 + 34], a.data[35 + 34]);
  const t = padOrTrimMel(a, 10);
  assert.equal(t.data[10], a.data[35]);
  // fewer samples than one hop gives an empty mel rather than an error; a tiny clip still works
  assert.equal(logMelSpectrogram(new Float32Array(100), 80).nFrames, 0);
  assert.equal(logMelSpectrogram(Float32Array.from({ length: 170 }, (_, i) => i / 170), 80).nFrames, 1);
  assert.deepEqual(padOrTrim(Float32Array.from([1, 2, 3]), 2), Float32Array.from([1, 2]));
});
