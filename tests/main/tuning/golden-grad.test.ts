/**
 * One training step of the float32 fixture against upstream PyTorch: the mean cross-entropy and
 * the L2 norm of every parameter's gradient (golden.json), plus three whole gradients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { TrainableSet, DEFAULT_METHOD } from '../../../src-main/tuning/methods.ts';
import { collate, maskedCrossEntropy } from '../../../src-main/tuning/loss.ts';
import { MICRO_F32, NEEDS_REFERENCE, REFERENCE, goldenPath, maxDiff, readF32, readGolden } from '../../helpers/reference.ts';

test('full fine-tune step: loss and every gradient norm match upstream', { skip: NEEDS_REFERENCE }, async () => {
  await initBackend('wasm'); // embedding + conv gradients use the host kernels registered for wasm
  const g = readGolden('whisper-micro-en');
  const w = await loadWhisper(MICRO_F32);
  const set = new TrainableSet(w.model, { ...DEFAULT_METHOD, method: 'full' }, 0);
  const before = tf.memory().numTensors;
  const mel = tf.tensor3d(readF32(`${REFERENCE}/mel/jfk-30s-80.f32`), [1, 80, 3000]);
  const batch = collate([{ inputs: g.decoder_input_ids, labels: g.loss.labels }], 50256);
  const names = [...set.params.keys()];
  const vars = names.map((n) => set.params.get(n)!);
  const { value, grads } = tf.variableGrads(() => maskedCrossEntropy(set.tuned.decodeFull(batch.inputs, set.tuned.encode(mel)), batch.labels), vars);
  const loss = value.dataSync()[0];
  console.log(`loss ${loss} vs upstream ${g.loss.mean_cross_entropy}`);
  assert.ok(Math.abs(loss - g.loss.mean_cross_entropy) < 1e-3);
  let compared = 0;
  let worst = 0;
  for (const [name, want] of Object.entries<number | string>(g.grad_l2_norm)) {
    if (typeof want !== 'number') continue; // upstream marks some as Infinity: not comparable
    const v = set.params.get(name);
    assert.ok(v, `no trainable parameter ${name}`);
    const sq = tf.tidy(() => tf.sum(tf.square(grads[v.name])));
    const got = Math.sqrt(sq.dataSync()[0]);
    sq.dispose();
    const rel = Math.abs(got - want) / Math.max(want, 1e-12);
    worst = Math.max(worst, rel);
    assert.ok(rel < 1e-3, `${name}: grad norm ${got} vs ${want} (rel ${rel})`);
    compared++;
  }
  console.log(`compared ${compared} gradient norms, worst relative error ${worst.toExponential(2)}`);
  assert.ok(compared > 50);
  for (const [name, spec] of Object.entries<any>(g.grad_full)) {
    const d = maxDiff(grads[set.params.get(name)!.name].dataSync(), readF32(goldenPath('whisper-micro-en', spec.file)));
    assert.ok(d.diff <= 1e-3 * d.scale + 1e-7, `${name} full gradient differs by ${d.diff} (scale ${d.scale})`);
  }
  tf.dispose([value, ...Object.values(grads), mel, batch.inputs, batch.labels]);
  assert.equal(tf.memory().numTensors, before);
  set.dispose();
  w.model.dispose();
});
