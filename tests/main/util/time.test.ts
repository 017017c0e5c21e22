import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eta, etaOrNull, formatDuration } from '../../../src-main/util/time.ts';

test('eta extrapolates the average rate; unknown before the first unit, 0 when complete', () => {
  assert.equal(eta(10, 40, 5), 15);
  assert.ok(Number.isNaN(eta(0, 40, 5)));
  assert.equal(eta(40, 40, 20), 0);
  assert.equal(etaOrNull(0, 40, 5), null);
  assert.equal(etaOrNull(40, 40, 5), 0);
  assert.equal(etaOrNull(1, 3, 2), 4);
});

test('formatDuration: m:ss, h:mm:ss, and --:-- when unknown', () => {
  assert.equal(formatDuration(65), '1:05');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(NaN), '--:--');
  assert.equal(formatDuration(-1), '--:--');
});
