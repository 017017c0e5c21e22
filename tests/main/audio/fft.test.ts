import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createComplexFft, createRealFft } from '../../../src-main/audio/fft.ts';

/** Deterministic pseudo-random numbers in [-1, 1) (a fixed LCG) so failures reproduce. */
function noise(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * ((k * t) % n)) / n;
      outRe[k] += re[t] * Math.cos(a) - im[t] * Math.sin(a);
      outIm[k] += re[t] * Math.sin(a) + im[t] * Math.cos(a);
    }
  }
  return [outRe, outIm];
}

function maxDiff(a: Float64Array, b: Float64Array, len = a.length): number {
  let d = 0;
  for (let i = 0; i < len; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

test('complex FFT matches a naive DFT for every length 1..64 and the sizes Whisper uses', () => {
  const sizes = [...Array.from({ length: 64 }, (_, i) => i + 1), 100, 200, 400, 49, 121];
  for (const n of sizes) {
    const re = noise(n, n);
    const im = noise(n, n + 1000);
    const [er, ei] = naiveDft(re, im);
    const fft = createComplexFft(n);
    fft.forward(re, im);
    const tol = 1e-9 * n;
    assert.ok(maxDiff(re, er) < tol && maxDiff(im, ei) < tol, `n=${n}: ${maxDiff(re, er)} ${maxDiff(im, ei)}`);
  }
});

test('real FFT gives the one-sided spectrum of a real signal', () => {
  for (const n of [2, 4, 6, 10, 16, 30, 400]) {
    const x = noise(n, 7 * n);
    const [er, ei] = naiveDft(x, new Float64Array(n));
    const re = new Float64Array(n / 2 + 1);
    const im = new Float64Array(n / 2 + 1);
    createRealFft(n).forward(x, re, im);
    assert.ok(maxDiff(re, er, n / 2 + 1) < 1e-9 * n && maxDiff(im, ei, n / 2 + 1) < 1e-9 * n, `n=${n}`);
  }
  assert.throws(() => createRealFft(401), RangeError);
});
