import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downmix, resample } from '../../../src-main/audio/resample.ts';

function tone(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));
}

/** Amplitude of the `freq` component over the middle of x (skipping edge transients), by projection. */
function toneAmplitude(x: Float32Array, rate: number, freq: number): number {
  const a = Math.floor(x.length * 0.2);
  const b = Math.floor(x.length * 0.8);
  let s = 0;
  let c = 0;
  for (let i = a; i < b; i++) {
    s += x[i] * Math.sin((2 * Math.PI * freq * i) / rate);
    c += x[i] * Math.cos((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(s, c)) / (b - a);
}

function rms(x: Float32Array): number {
  const a = Math.floor(x.length * 0.2);
  const b = Math.floor(x.length * 0.8);
  let sq = 0;
  for (let i = a; i < b; i++) sq += x[i] * x[i];
  return Math.sqrt(sq / (b - a));
}

/** Frequency from rising zero crossings over the middle of the signal. */
function zeroCrossingFreq(x: Float32Array, rate: number): number {
  const a = Math.floor(x.length * 0.2);
  const b = Math.floor(x.length * 0.8);
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = a + 1; i < b; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const t = i - 1 + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  return (count * rate) / (last - first);
}

test('a 1 kHz sine at 44.1 kHz keeps its frequency and amplitude at 16 kHz', () => {
  const y = resample(tone(1000, 44100, 0.5), 44100, 16000);
  assert.equal(y.length, 8000);
  const f = zeroCrossingFreq(y, 16000);
  const amp = toneAmplitude(y, 16000, 1000);
  assert.ok(Math.abs(f - 1000) < 10, `frequency ${f}`);
  assert.ok(Math.abs(amp - 0.5) < 0.005, `amplitude ${amp}`);
  // and the result is a clean sine: nothing but the 1 kHz component is left
  assert.ok(Math.abs(rms(y) - 0.5 / Math.SQRT2) < 0.002, `rms ${rms(y)}`);
});

test('tones above the new Nyquist are removed, not aliased', () => {
  for (const freq of [9000, 10000, 15000]) {
    const x = tone(freq, 44100, 0.3);
    const y = resample(x, 44100, 16000);
    const db = 20 * Math.log10(rms(y) / rms(x));
    console.log(`attenuation of ${freq} Hz at 44.1 → 16 kHz: ${db.toFixed(1)} dB`);
    assert.ok(db < -40, `${freq} Hz only ${db.toFixed(1)} dB down`);
  }
  // 7 kHz is inside the pass band and survives
  const keep = resample(tone(7000, 48000, 0.3), 48000, 16000);
  assert.ok(Math.abs(toneAmplitude(keep, 16000, 7000) - 0.5) < 0.01);
});

test('upsampling, non-polyphase ratios and odd rates preserve a tone', () => {
  const cases: Array<[number, number]> = [
    [16000, 44100],
    [22050, 16000],
    [8000, 16000],
    [16000, 16001], // 16001 phases: the interpolated-kernel path
    [44100.5, 16000], // non-integer rate
  ];
  for (const [from, to] of cases) {
    const y = resample(tone(440, from, 0.4), from, to);
    assert.equal(y.length, Math.ceil((Math.round(from * 0.4) * to) / from), `${from}→${to} length`);
    const amp = toneAmplitude(y, to, 440);
    assert.ok(Math.abs(amp - 0.5) < 0.005, `${from}→${to}: amplitude ${amp}`);
    assert.ok(Math.abs(zeroCrossingFreq(y, to) - 440) < 4, `${from}→${to}: frequency`);
  }
});

test('DC passes with unit gain; equal rates copy; edge cases', () => {
  const dc = resample(new Float32Array(4410).fill(0.25), 44100, 16000);
  assert.ok(Math.abs(dc[800] - 0.25) < 1e-6, `dc ${dc[800]}`);
  const x = Float32Array.from([0.1, 0.2, 0.3]);
  const same = resample(x, 16000, 16000);
  assert.deepEqual(same, x);
  assert.notEqual(same, x);
  assert.equal(resample(new Float32Array(0), 44100, 16000).length, 0);
  assert.equal(resample(Float32Array.from([1]), 48000, 16000).length, 1);
  assert.throws(() => resample(x, 0, 16000), RangeError);
});

test('downmix averages channels', () => {
  assert.deepEqual(downmix([Float32Array.from([1, 0.5]), Float32Array.from([-1, 0.25])]), Float32Array.from([0, 0.375]));
  const mono = Float32Array.from([0.1]);
  assert.equal(downmix([mono]), mono);
  assert.throws(() => downmix([]), RangeError);
});
