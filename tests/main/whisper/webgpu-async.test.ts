/**
 * WebGPU under Node has no synchronous readback, so decoding and training must only ever await
 * reads. This runs greedy decoding and one LoRA training step of the fixture model on WebGPU and on
 * wasm from the same inputs and compares them (the encoder is skipped: random audio features, so
 * the software adapter finishes quickly).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, probeBackends, switchBackend, type BackendName } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { decodeWindow } from '../../../src-main/whisper/decoding/decode.ts';
import { TrainableSet, DEFAULT_METHOD } from '../../../src-main/tuning/methods.ts';
import { AdamW } from '../../../src-main/tuning/optimizer.ts';
import { collate, makeExample, maskedCrossEntropy } from '../../../src-main/tuning/loss.ts';
import { MICRO_F32, NEEDS_REFERENCE, maxDiff } from '../../helpers/reference.ts';

async function runOn(name: BackendName): Promise<{ tokens: number[]; loss: number; norm: number; A: Float32Array; B: Float32Array }> {
  await switchBackend(name);
  const w = await loadWhisper(MICRO_F32);
  const audio = tf.randomNormal([1, 1500, 64], 0, 1, 'float32', 9) as tf.Tensor3D;
  const r = await decodeWindow(w.model, w.tokenizer, audio, { language: 'en', sampleLen: 4 });
  const set = new TrainableSet(w.model, { ...DEFAULT_METHOD, lora: { ...DEFAULT_METHOD.lora, dropout: 0 } }, 0);
  const opt = new AdamW(set.params);
  const b = collate([makeExample(w.tokenizer.sotSequence({ timestamps: false }), w.tokenizer.encode(' PyTorch on a GPU.'), w.tokenizer.special.eot, 448)], w.tokenizer.special.eot);
  const vars = [...set.params.values()];
  const names = new Map([...set.params].map(([k, v]) => [v.name, k]));
  const { value, grads } = tf.variableGrads(() => maskedCrossEntropy(set.tuned.decodeFull(b.inputs, audio), b.labels), vars);
  const loss = (await value.data())[0];
  const norm = await opt.apply(new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, g])), 1e-2, 1e-3, (n) => set.decays(n)); // clipping active: the global norm matters
  const first = [...set.lora!.modules.values()][0];
  const out = { tokens: r.tokens, loss, norm, A: (await first.A.data()) as Float32Array, B: (await first.B.data()) as Float32Array };
  tf.dispose([value, ...Object.values(grads), audio, b.inputs, b.labels]);
  opt.dispose();
  set.dispose();
  w.model.dispose();
  return out;
}

test('greedy decoding and a LoRA step on WebGPU equal wasm (awaited reads only)', { skip: NEEDS_REFERENCE, timeout: 15 * 60_000 }, async (t) => {
  await initBackend('wasm');
  const webgpu = (await probeBackends()).find((p) => p.name === 'webgpu')!;
  if (!webgpu.available) return t.skip(`WebGPU unavailable here: ${webgpu.detail}`);
  const ref = await runOn('wasm');
  const gpu = await runOn('webgpu');
  assert.deepEqual(gpu.tokens, ref.tokens);
  assert.ok(Math.abs(gpu.loss - ref.loss) < 1e-3, `loss ${gpu.loss} vs ${ref.loss}`);
  assert.ok(Math.abs(gpu.norm - ref.norm) <= 1e-3 * ref.norm, `gradient norm ${gpu.norm} vs ${ref.norm}`);
  const dA = maxDiff(gpu.A, ref.A);
  const dB = maxDiff(gpu.B, ref.B);
  console.log(`WebGPU vs wasm after one LoRA step: loss ${gpu.loss.toFixed(5)} vs ${ref.loss.toFixed(5)}, max |ΔA| ${dA.diff.toExponential(2)}, max |ΔB| ${dB.diff.toExponential(2)} (B up to ${dB.scale.toExponential(2)})`);
  assert.ok(dA.diff <= 1e-5 + 1e-3 * dA.scale);
  assert.ok(dB.diff <= 1e-6 + 1e-2 * dB.scale);
  await switchBackend('wasm');
});
