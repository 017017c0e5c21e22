/**
 * Shared cross-attention projections (CrossProjections): a forward that reads the base K/V
 * projections computed once must give the same logits — and, under LoRA, the same gradients — as
 * one that computes them itself; a state that overrides those weights (full fine-tuning) must not
 * use them. On the float32 fixture with a random encoder output (the decoder is what is tested).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { DEFAULT_METHOD, TrainableSet } from '../../../src-main/tuning/methods.ts';
import { maskedCrossEntropy } from '../../../src-main/tuning/loss.ts';
import { MICRO_F32, NEEDS_REFERENCE, maxDiff } from '../../helpers/reference.ts';

test('shared cross-attention projections: same logits and LoRA gradients; ignored where a state overrides them', { skip: NEEDS_REFERENCE }, async () => {
  await initBackend('wasm');
  const w = await loadWhisper(MICRO_F32);
  const { nAudioCtx, nAudioState } = w.model.dims;
  const audio = tf.randomNormal([2, nAudioCtx, nAudioState], 0, 1, 'float32', 3) as tf.Tensor3D;
  const ids = tf.tensor2d([[50257, 50362, 843, 523, 616], [50257, 50362, 1351, 3988, 11]], undefined, 'int32');
  const labels = tf.tensor2d([[50362, 843, 523, 616, 50256], [50362, 1351, 3988, 11, 50256]], undefined, 'int32');
  const before = tf.memory().numTensors;
  const cross = w.model.crossProjections(audio);
  assert.equal(cross.k.length, w.model.dims.nTextLayer);

  // The base model.
  const plain = tf.tidy(() => w.model.decodeFull(ids, audio).dataSync().slice());
  const shared = tf.tidy(() => w.model.decodeFull(ids, audio, cross).dataSync().slice());
  assert.ok(maxDiff(shared, plain).diff <= 1e-5, `base logits differ by ${maxDiff(shared, plain).diff}`);

  // LoRA on the decoder's q and v, encoder_attn.v_proj included: its hook goes on top of the shared V.
  const lora = new TrainableSet(w.model, { ...DEFAULT_METHOD, lora: { ...DEFAULT_METHOD.lora, dropout: 0 } }, 1);
  assert.ok([...lora.lora!.modules.keys()].some((m) => m.endsWith('encoder_attn.v_proj')), 'the default LoRA adapts the cross-attention values');
  let i = 0;
  for (const p of lora.lora!.modules.values()) tf.tidy(() => p.B.assign(tf.randomNormal(p.B.shape, 0, 0.1, 'float32', 50 + i++)));
  const vars = [...lora.params.values()];
  const gradsOf = (c?: typeof cross) => {
    const { value, grads } = tf.variableGrads(() => maskedCrossEntropy(lora.tuned.decodeFull(ids, audio, c), labels), vars);
    const out = { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].dataSync().slice()) };
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  const a = gradsOf();
  const b = gradsOf(cross);
  assert.ok(Math.abs(a.loss - b.loss) <= 1e-5, `LoRA loss ${a.loss} vs ${b.loss}`);
  assert.ok(Math.abs(a.loss - tf.tidy(() => maskedCrossEntropy(w.model.decodeFull(ids, audio), labels).dataSync()[0])) > 1e-3, 'the adapter must move the loss, or this proves nothing');
  let worst = 0;
  a.grads.forEach((g, j) => {
    const d = maxDiff(b.grads[j], g);
    worst = Math.max(worst, d.diff / Math.max(d.scale, 1e-12));
  });
  console.log(`LoRA through shared projections: loss ${b.loss.toFixed(5)}, ${vars.length} gradients, worst relative Δ ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-4, `gradients differ (relative ${worst})`);
  lora.dispose();

  // Full fine-tuning overrides the projections' weights: a changed v_proj must be read, not the shared one.
  const full = new TrainableSet(w.model, { ...DEFAULT_METHOD, method: 'full' }, 0);
  const vName = 'model.decoder.layers.0.encoder_attn.v_proj.weight';
  tf.tidy(() => full.params.get(vName)!.assign(tf.mul(full.params.get(vName)!, 3)));
  const fullPlain = tf.tidy(() => full.tuned.decodeFull(ids, audio).dataSync().slice());
  const fullShared = tf.tidy(() => full.tuned.decodeFull(ids, audio, cross).dataSync().slice());
  assert.ok(maxDiff(fullPlain, plain).diff > 1e-3, 'the changed weight must change the logits');
  assert.ok(maxDiff(fullShared, fullPlain).diff <= 1e-5, 'a state that overrides v_proj must not read the base projection');
  full.dispose();

  cross.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  tf.dispose([audio, ids, labels]);
  w.model.dispose();
});
