/**
 * The wasm BatchMatMul wrapper (src-main/compute/wasm-matmul.ts) against the cpu backend's plain
 * kernel: every transpose combination, batched and broadcast operands, the swapped path (few rows
 * against a wide transposed B) and products small enough to stay on the stock kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, switchBackend } from '../../../src-main/compute/backend.ts';

/** [aShape, bShape, transposeA, transposeB] */
const CASES: [number[], number[], boolean, boolean][] = [
  [[200, 96], [96, 150], false, false], // stock fast path
  [[200, 96], [150, 96], false, true], // linear layer: B transposed
  [[2, 96], [3000, 96], false, true], // few rows: swapped product
  [[96, 200], [96, 150], true, false], // weight gradient: A transposed
  [[96, 2], [3000, 96], true, true], // both, swapped
  [[96, 200], [150, 96], true, true], // both, B transposed
  [[1, 3, 120, 32], [1, 3, 130, 32], false, true], // attention scores over heads
  [[3, 120, 130], [3, 130, 32], false, false], // attention · values, batched
  [[4, 120, 64], [64, 100], false, false], // B broadcast over the batch
  [[64, 100], [2, 64, 100], true, false], // A broadcast, transposed
  [[5, 7], [7, 3], false, false], // tiny: stock kernel
  [[2, 5, 7], [2, 3, 7], false, true], // tiny batched: stock kernel
];

test('wasm BatchMatMul wrapper equals the plain product for every layout', async () => {
  await initBackend('wasm');
  for (const [sa, sb, ta, tb] of CASES) {
    const a = Float32Array.from({ length: sa.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(i * 0.37));
    const b = Float32Array.from({ length: sb.reduce((x, y) => x * y, 1) }, (_, i) => Math.cos(i * 0.11));
    const run = () => tf.tidy(() => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb).arraySync());
    await switchBackend('cpu');
    const want = tf.tensor(run() as number[]);
    await switchBackend('wasm');
    const before = tf.memory().numTensors;
    const got = tf.tensor(run() as number[]);
    assert.equal(tf.memory().numTensors, before + 1, 'no tensor leaks');
    assert.deepEqual(got.shape, want.shape, `shape for ${sa} × ${sb} (${ta}, ${tb})`);
    const err = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]);
    assert.ok(err < 1e-3, `${sa} × ${sb} transposeA=${ta} transposeB=${tb}: max error ${err}`);
    tf.dispose([got, want]);
  }
});

test('wasm BatchMatMul wrapper frees its temporaries (backend buffers flat over repeats)', async () => {
  await initBackend('wasm');
  await switchBackend('wasm');
  const a = tf.randomNormal([1, 4, 100, 48]);
  const b = tf.randomNormal([1, 4, 110, 48]);
  tf.dispose(tf.matMul(a, b, false, true));
  const buffers = tf.memory().numDataBuffers;
  for (let i = 0; i < 5; i++) tf.dispose(tf.matMul(a, b, false, true));
  assert.equal(tf.memory().numDataBuffers, buffers);
  tf.dispose([a, b]);
});
