/**
 * The lean backward pass (src-main/compute/lean-backprop.ts) frees each activation gradient and
 * saved tensor once used. It must give bit-identical gradients to tfjs's own backward pass —
 * including through a recomputed (gradient-checkpointed) block, which calls gradients() again
 * inside the backward pass, and a custom op that hands its dy on unchanged — leak nothing, and
 * peak well below tfjs's, which keeps every intermediate gradient until the walk ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { recomputed } from '../../../src-main/whisper/recompute.ts';
import { liveBytesDuring } from '../../helpers/live-bytes.ts';

type Gradients = (f: () => tf.Scalar, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => { value: tf.Scalar; grads: tf.Tensor[] };
const engine = tf.engine() as unknown as { gradients: Gradients };
const tfjsGradients = (Object.getPrototypeOf(engine) as { gradients: Gradients }).gradients;

/** Runs fn with tfjs's own backward pass (nested calls included), then puts the lean one back. */
function withTfjsBackprop<T>(fn: () => T): T {
  const lean = engine.gradients;
  engine.gradients = tfjsGradients;
  try {
    return fn();
  } finally {
    engine.gradients = lean;
  }
}

/** A custom op that is the identity with dy handed on as the input's gradient, unchanged. */
const passThrough = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: tf.clone(args[0] as tf.Tensor), gradFunc: (dy: tf.Tensor) => dy })) as (x: tf.Tensor) => tf.Tensor;

const LAYERS = 12;
const BATCH = 256;
const WIDTH = 64;

function makeModel() {
  const vars: tf.Variable[] = [];
  for (let i = 0; i < LAYERS; i++) {
    vars.push(tf.variable(tf.randomNormal([WIDTH, WIDTH], 0, 1 / Math.sqrt(WIDTH), 'float32', 10 + i), true, `lean-w${i}`));
    vars.push(tf.variable(tf.randomNormal([WIDTH], 0, 0.1, 'float32', 100 + i), true, `lean-b${i}`));
  }
  const x = tf.randomNormal([BATCH, WIDTH], 0, 1, 'float32', 7);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i * 7) % WIDTH), 'int32'), WIDTH);
  const block = (i: number) => (h: tf.Tensor2D) => {
    const z = tf.add(tf.matMul(h, vars[2 * i]), vars[2 * i + 1]);
    const centred = tf.sub(z, tf.mean(z, -1, true));
    return tf.add(h, tf.tanh(centred)) as tf.Tensor2D; // a residual block
  };
  const loss = (): tf.Scalar => {
    let h = x as tf.Tensor2D;
    for (let i = 0; i < LAYERS; i++) {
      if (i === 3) h = passThrough(h) as tf.Tensor2D;
      // Layers 5 and 6 are recomputed in the backward pass, as the encoder's blocks are.
      h = i === 5 || i === 6 ? recomputed(block(i), h, [vars[2 * i], vars[2 * i + 1]]) : block(i)(h);
    }
    return tf.losses.softmaxCrossEntropy(labels, h) as tf.Scalar;
  };
  return { vars, loss, dispose: () => tf.dispose([...vars, x, labels]) };
}

test('lean backward pass: gradients bit-identical to tfjs, nothing leaked, a much lower peak', async () => {
  // initBackend installs the lean backward pass (and registers tfjs's gradients).
  await initBackend('cpu');
  assert.notEqual(engine.gradients, tfjsGradients, 'initBackend installs the lean backward pass');
  const model = makeModel();
  const run = () => engine.gradients(model.loss, model.vars);
  let ours: { value: tf.Scalar; grads: tf.Tensor[] } | undefined;
  let theirs: { value: tf.Scalar; grads: tf.Tensor[] } | undefined;
  const tensorsBefore = tf.memory().numTensors;
  const lean = await liveBytesDuring(() => (ours = run()));
  const resultBytes = 4 * (1 + model.vars.reduce((s, v) => s + v.size, 0));
  assert.equal(lean.after - lean.before, resultBytes, 'only the loss and the gradients are left');
  assert.equal(tf.memory().numTensors - tensorsBefore, 1 + model.vars.length);
  const stock = await liveBytesDuring(() => withTfjsBackprop(() => (theirs = run())));
  assert.equal(stock.after - stock.before, resultBytes);
  assert.deepEqual(ours!.value.dataSync(), theirs!.value.dataSync());
  ours!.grads.forEach((g, i) => assert.deepEqual(g.dataSync(), theirs!.grads[i].dataSync(), `gradient ${model.vars[i].name} differs`));
  const activation = BATCH * WIDTH * 4;
  const leanPeak = lean.peak - lean.before;
  const stockPeak = stock.peak - stock.before;
  console.log(`peak above the start: lean ${(leanPeak / 1024).toFixed(0)} KB, tfjs ${(stockPeak / 1024).toFixed(0)} KB (one activation ${(activation / 1024).toFixed(0)} KB, ${LAYERS} layers)`);
  assert.ok(leanPeak < 0.6 * stockPeak, `lean peak ${leanPeak} bytes is not well below tfjs's ${stockPeak}`);
  tf.dispose([ours!.value, ...ours!.grads, theirs!.value, ...theirs!.grads]);
  model.dispose();
});

test('lean backward pass: a caller-supplied dy is not freed, and tf.grads / variableGrads use it', async () => {
  await initBackend('cpu');
  const x = tf.tensor1d([1, 2, 3]);
  const dy = tf.tensor1d([1, 1, 2]);
  // passThrough hands dy on as x's gradient: the same tensor object under two keys.
  const [gx] = tf.grads((a: tf.Tensor) => tf.mul(passThrough(a), 2))([x], dy);
  assert.deepEqual([...gx.dataSync()], [2, 2, 4]);
  assert.equal(dy.isDisposed, false);
  assert.deepEqual([...dy.dataSync()], [1, 1, 2]);
  const v = tf.variable(tf.tensor1d([3, 4]), true, 'lean-v');
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(passThrough(v))) as tf.Scalar, [v]);
  assert.equal(value.dataSync()[0], 25);
  assert.deepEqual([...grads['lean-v'].dataSync()], [6, 8]);
  tf.dispose([x, dy, gx, v, value, grads['lean-v']]);
});
