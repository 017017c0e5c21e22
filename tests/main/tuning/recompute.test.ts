/**
 * Gradient checkpointing of the encoder (whisper/recompute.ts): the same loss and the same
 * gradients as keeping every activation — for LoRA through encoder and decoder with dropout on
 * (the recomputation must replay the same masks) and for full fine-tuning (the block's weights are
 * the trained tensors) — and no tensor left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { DEFAULT_LORA } from '../../../src-main/tuning/lora.ts';
import { TrainableSet, type MethodConfig } from '../../../src-main/tuning/methods.ts';
import { maskedCrossEntropy } from '../../../src-main/tuning/loss.ts';
import { taping } from '../../../src-main/whisper/recompute.ts';
import { MICRO_F32, NEEDS_REFERENCE, maxDiff } from '../../helpers/reference.ts';

function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
}

const CASES: { name: string; method: MethodConfig }[] = [
  { name: 'LoRA on encoder and decoder, dropout 0.3', method: { method: 'lora', lora: { ...DEFAULT_LORA, dropout: 0.3, stacks: ['encoder', 'decoder'], targetModules: ['q_proj', 'v_proj', 'fc1'] }, freezeEncoderLayers: 'all' } },
  { name: 'full fine-tuning', method: { method: 'full', lora: DEFAULT_LORA, freezeEncoderLayers: 'all' } },
];

for (const c of CASES) {
  test(`recomputed encoder blocks give the same loss and gradients: ${c.name}`, { skip: NEEDS_REFERENCE }, async () => {
    await initBackend('wasm');
    const { model } = await loadWhisper(MICRO_F32);
    const set = new TrainableSet(model, c.method, 3);
    const { nMels, nAudioCtx } = model.dims;
    const mel = tf.tensor3d(noise(2 * nMels * nAudioCtx * 2, 11), [2, nMels, nAudioCtx * 2]);
    const tokens = tf.tensor2d([[50257, 50362, 314, 779, 9485, 15884], [50257, 50362, 383, 3797, 13, 50256]], undefined, 'int32');
    const labels = tf.tensor2d([[50362, 314, 779, 9485, 15884, 50256], [50362, 383, 3797, 13, 50256, -100]], undefined, 'int32');
    const vars = [...set.params.values()];
    if (set.lora) {
      // B starts at zero, which would hide a wrong A gradient: give B values.
      for (const p of set.lora.modules.values()) p.B.assign(tf.tidy(() => tf.mul(tf.randomNormal(p.B.shape, 0, 1, 'float32', 5), 0.05)));
      set.lora.training = true;
    }
    const run = (recompute: boolean) => {
      set.lora?.setDropoutSeed(42);
      let sawTape = false;
      let encoderNodes = 0;
      const { value, grads } = tf.variableGrads(() => {
        sawTape = taping();
        const audio = set.tuned.encode(mel, { recompute });
        // Tape nodes recorded by the encoder: what the backward pass keeps alive.
        encoderNodes = (tf.engine() as unknown as { state: { activeTape: unknown[] } }).state.activeTape.length;
        return maskedCrossEntropy(set.tuned.decodeFull(tokens, audio), labels) as tf.Scalar;
      }, vars);
      assert.ok(sawTape, 'variableGrads records a tape');
      return { loss: value.dataSync()[0], grads, value, seedAfter: set.lora?.getDropoutSeed(), encoderNodes };
    };
    const before = tf.memory().numTensors;
    const kept = run(false);
    const again = run(true);
    console.log(`${c.name}: encoder tape nodes ${kept.encoderNodes} kept vs ${again.encoderNodes} recomputed`);
    assert.ok(again.encoderNodes * 3 < kept.encoderNodes, 'the recomputed encoder keeps far fewer tape nodes');
    assert.equal(again.seedAfter, kept.seedAfter, 'the forward draws as many dropout masks either way');
    assert.ok(Math.abs(kept.loss - again.loss) <= 1e-5 * Math.abs(kept.loss), `loss ${kept.loss} vs ${again.loss}`);
    let worst = 0;
    let encoderGrads = 0;
    for (const [key, v] of set.params) {
      const a = kept.grads[v.name].dataSync();
      const b = again.grads[v.name].dataSync();
      const { diff, scale } = maxDiff(b, a);
      if (/model\.encoder\.layers/.test(key) && scale > 0) encoderGrads++;
      worst = Math.max(worst, scale > 0 ? diff / scale : diff);
    }
    console.log(`${c.name}: loss ${kept.loss.toFixed(5)}, ${vars.length} gradients, worst relative Δ ${worst.toExponential(2)}, ${encoderGrads} non-zero encoder-block gradients`);
    assert.ok(encoderGrads > 0, 'encoder blocks receive gradients');
    assert.ok(worst <= 1e-4, `gradients differ by ${worst} (relative)`);
    tf.dispose([kept.value, again.value, ...Object.values(kept.grads), ...Object.values(again.grads)]);
    assert.equal(tf.memory().numTensors, before, 'tensor count flat after both passes');
    tf.dispose([mel, tokens, labels]);
    set.dispose();
    model.dispose();
  });
}

test('the trainer recomputes encoder blocks on wasm from base width up, nowhere else', async () => {
  const { recomputeEncoder } = await import('../../../src-main/tuning/trainer.ts');
  assert.equal(recomputeEncoder('wasm', { nAudioState: 384 }), false, 'tiny fits the heap: no extra forward');
  assert.equal(recomputeEncoder('wasm', { nAudioState: 512 }), true, 'base needs it');
  assert.equal(recomputeEncoder('wasm', { nAudioState: 1280 }), true);
  assert.equal(recomputeEncoder('webgpu', { nAudioState: 1280 }), false);
  assert.equal(recomputeEncoder('tensorflow', { nAudioState: 512 }), false);
});
