import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseTake, applyTrim, meterLevel } from '../../../src-renderer/lib/take.ts';

const SR = 16000;
/** `silence` s of low noise, `tone` s of a 220 Hz tone at `amp`, `silence` s of noise again. */
function take(silence: number, tone: number, amp: number): Float32Array {
  const n = Math.round((2 * silence + tone) * SR);
  const x = new Float32Array(n);
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const t = i / SR;
    x[i] = (seed / 2 ** 31 - 0.5) * 1e-4 + (t >= silence && t < silence + tone ? amp * Math.sin(2 * Math.PI * 220 * t) : 0);
  }
  return x;
}

test('auto-trim suggests speech ± 150 ms and no warnings for a good take', () => {
  const a = analyseTake(take(1, 2, 0.3), SR);
  assert.ok(Math.abs(a.trim.start - 0.85) < 0.03, `start ${a.trim.start}`);
  assert.ok(Math.abs(a.trim.end - 3.15) < 0.03, `end ${a.trim.end}`);
  assert.deepEqual(a.warnings, []);
  assert.equal(applyTrim(take(1, 2, 0.3), SR, a.trim).length, Math.round((a.trim.end - a.trim.start) * SR));
});

test('warnings: clipping, too quiet, too long, no speech', () => {
  assert.match(analyseTake(take(0.5, 1, 1.5).map((v) => Math.max(-1, Math.min(1, v))), SR).warnings.join(' '), /Clipping/);
  assert.match(analyseTake(take(0.5, 1, 0.005), SR).warnings.join(' '), /Too quiet/);
  assert.match(analyseTake(take(1, 29.5, 0.3), SR).warnings.join(' '), /Too long: 31\.5 s/);
  const silent = analyseTake(new Float32Array(SR), SR);
  assert.match(silent.warnings.join(' '), /No speech/);
  assert.deepEqual(silent.trim, { start: 0, end: 1 });
});

test('meter maps -60..0 dBFS to 0..1', () => {
  assert.equal(meterLevel(new Float32Array(128)), 0);
  assert.ok(Math.abs(meterLevel(new Float32Array(128).fill(1)) - 1) < 1e-6);
  assert.ok(Math.abs(meterLevel(new Float32Array(128).fill(0.001)) - 0) < 1e-6);
  assert.ok(Math.abs(meterLevel(new Float32Array(128).fill(10 ** (-30 / 20))) - 0.5) < 1e-6);
});
