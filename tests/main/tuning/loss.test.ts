/**
 * The training objective's pieces: the trainer's one-log-softmax form (maskedNll + klToTarget on a
 * precomputed DistillTarget) equals cross-entropy + KL computed from logits separately, in value
 * and in its gradient; KL of a distribution to itself is 0; padded positions do not count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { IGNORE_INDEX, distillKl, distillTarget, klToTarget, maskedCrossEntropy, maskedNll } from '../../../src-main/tuning/loss.ts';
import { maxDiff } from '../../helpers/reference.ts';

test('one shared log-softmax gives the same loss and gradient as cross-entropy + KL from logits', async () => {
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  const [B, T, V] = [2, 5, 97];
  const tuned = tf.randomNormal([B, T, V], 0, 3, 'float32', 1) as tf.Tensor3D;
  const base = tf.randomNormal([B, T, V], 0, 3, 'float32', 2) as tf.Tensor3D;
  const labels = tf.tensor2d([[3, 9, 1, 0, 50], [7, 7, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]], undefined, 'int32');
  const w = 0.5;
  const target = distillTarget(base);
  const shared = (x: tf.Tensor3D) => {
    const logp = tf.logSoftmax(x, -1) as tf.Tensor3D;
    return tf.add(maskedNll(logp, labels), tf.mul(klToTarget(target, logp, labels), w)) as tf.Scalar;
  };
  const separate = (x: tf.Tensor3D) => tf.add(maskedCrossEntropy(x, labels), tf.mul(distillKl(x, base, labels), w)) as tf.Scalar;
  const [vs, vp] = tf.tidy(() => [shared(tuned).dataSync()[0], separate(tuned).dataSync()[0]]);
  assert.ok(Math.abs(vs - vp) <= 1e-5 * Math.abs(vp), `loss ${vs} vs ${vp}`);
  const gs = tf.tidy(() => tf.grad((x: tf.Tensor) => shared(x as tf.Tensor3D))(tuned).dataSync().slice());
  const gp = tf.tidy(() => tf.grad((x: tf.Tensor) => separate(x as tf.Tensor3D))(tuned).dataSync().slice());
  const d = maxDiff(gs, gp);
  assert.ok(d.diff <= 1e-6 + 1e-5 * d.scale, `gradients differ by ${d.diff} (scale ${d.scale})`);
  // A padded position's logits get no gradient.
  const padded = gs.slice((1 * T + 2) * V, (1 * T + 3) * V);
  assert.ok(padded.every((v) => v === 0), 'padded positions do not count');
  // KL(p ‖ p) = 0.
  const self = tf.tidy(() => klToTarget(target, target.logp, labels).dataSync()[0]);
  assert.ok(Math.abs(self) < 1e-6, `KL to itself ${self}`);
  tf.dispose([tuned, base, labels, target.logp, target.p]);
  assert.equal(tf.memory().numTensors, before);
});
