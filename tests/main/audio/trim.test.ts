import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipStats, findSpeechBounds, splitAtSilences } from '../../../src-main/audio/trim.ts';

const RATE = 16000;

/** Deterministic noise in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/**
 * A stand-in for a recording: background noise at `noiseAmp` everywhere, plus "speech" (noise
 * amplitude-modulated at a syllable rate of 4 Hz, like voiced energy) in each [from, to) second range.
 */
function recording(seconds: number, speech: Array<[number, number]>, noiseAmp = 3e-4): Float32Array {
  const r = rng(42);
  const x = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < x.length; i++) x[i] = noiseAmp * r();
  for (const [a, b] of speech) {
    for (let i = Math.round(a * RATE); i < Math.round(b * RATE); i++) {
      const env = 0.55 + 0.45 * Math.sin((2 * Math.PI * 4 * i) / RATE);
      x[i] += 0.2 * env * Math.sin((2 * Math.PI * 180 * i) / RATE) + 0.05 * env * r();
    }
  }
  return x;
}

test('findSpeechBounds finds speech between silences, with a ~150 ms margin', () => {
  for (const noise of [0, 3e-4, 3e-3]) {
    const x = recording(2.4, [[0.5, 1.7]], noise);
    const { start, end } = findSpeechBounds(x, RATE);
    const s = start / RATE;
    const e = end / RATE;
    assert.ok(Math.abs(s - 0.35) < 0.04, `noise ${noise}: start ${s}`);
    assert.ok(Math.abs(e - 1.85) < 0.05, `noise ${noise}: end ${e}`);
  }
});

test('findSpeechBounds ignores a click, clamps to the clip, and reports no speech in silence', () => {
  const x = recording(2, [[0.05, 1.98]]);
  x[Math.round(0.02 * RATE)] = 0.9; // click before speech: not an onset
  const b = findSpeechBounds(x, RATE);
  assert.equal(b.start, 0);
  assert.equal(b.end, x.length);

  const quiet = recording(1, []);
  quiet[8000] = 0.8; // a lone click in a silent room
  assert.deepEqual(findSpeechBounds(quiet, RATE), { start: 0, end: 0 });
  assert.deepEqual(findSpeechBounds(new Float32Array(16000), RATE), { start: 0, end: 0 });
  assert.deepEqual(findSpeechBounds(new Float32Array(0), RATE), { start: 0, end: 0 });
});

test('splitAtSilences cuts long audio inside pauses into pieces no longer than the limit', () => {
  // Sentences with pauses at 2.0-2.6, 4.1-4.5, 7.0-7.8 and 9.5-9.9 s; limit 4 s.
  const x = recording(12, [[0.2, 2.0], [2.6, 4.1], [4.5, 7.0], [7.8, 9.5], [9.9, 11.8]]);
  const spans = splitAtSilences(x, RATE, 4);
  assert.equal(spans[0].start, 0);
  assert.equal(spans.at(-1)!.end, x.length);
  const pauses = [[2.0, 2.6], [4.1, 4.5], [7.0, 7.8], [9.5, 9.9]];
  for (let i = 0; i < spans.length; i++) {
    assert.ok(spans[i].end - spans[i].start <= 4 * RATE, `span ${i} too long`);
    if (i > 0) assert.equal(spans[i].start, spans[i - 1].end, 'no gaps');
    if (i < spans.length - 1) {
      const t = spans[i].end / RATE;
      assert.ok(pauses.some(([a, b]) => t > a && t < b), `cut at ${t.toFixed(2)} s is not in a pause`);
    }
  }
  assert.deepEqual(
    spans.map((s) => +(s.end / RATE).toFixed(1)),
    [2.3, 4.4, 7.4, 9.7, 12], // the 2nd window starts at 4.3 s, inside the 4.1-4.5 pause,
  );
  assert.deepEqual(splitAtSilences(x, RATE), [{ start: 0, end: x.length }]);
  // No pauses at all: still cut, never longer than the limit.
  const tone = recording(9, [[0, 9]]);
  const forced = splitAtSilences(tone, RATE, 4);
  assert.ok(forced.length >= 3 && forced.every((s) => s.end - s.start <= 4 * RATE && s.end > s.start));
});

test('clipStats reports peak, rms, clipping and duration', () => {
  const x = Float32Array.from([0.5, -0.5, 1, -1, 0.9995, 0]);
  const s = clipStats(x, 2);
  assert.equal(s.peak, 1);
  assert.ok(Math.abs(s.rms - Math.sqrt((0.25 * 2 + 2 + 0.9995 ** 2) / 6)) < 1e-6);
  assert.equal(s.clippedFraction, 3 / 6);
  assert.equal(s.durationSec, 3);
  assert.equal(clipStats(new Float32Array(32000)).durationSec, 2);
  assert.deepEqual(clipStats(new Float32Array(0)), { peak: 0, rms: 0, clippedFraction: 0, durationSec: 0 });
});
