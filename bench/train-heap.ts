/**
 * Training steps as trainer.ts runs them (micro-batches accumulated, the regulariser, AdamW) on a
 * random checkpoint of the bench (`npm run bench` writes them to $TMPDIR/vocab-tuner-bench/SIZE),
 * printing per phase the live tensor bytes (each buffer once), their peak, and the wasm heap (it
 * never shrinks: its size is the step's high-water mark).
 *
 *   SIZE=base METHOD=full STEPS=3 MICRO=2 node --import tsx bench/train-heap.ts
 *   SIZE=base METHOD=lora-dec BATCH=8 node --import tsx bench/train-heap.ts
 *
 * Env: SIZE (tiny|base), METHOD (full|lora-dec|lora-encdec), BATCH (per micro-batch; 8 for
 * lora-dec, else 1), MICRO (micro-batches per step), REG (l2sp|distill|none; the trainer's default
 * for the method), STEPS, BACKEND (wasm), LEAN=0 (tfjs's own backward pass, for comparison),
 * DUMP=1 (the largest tensors the tape saved).
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import path from 'node:path';
import { initBackend, currentBackend } from '../src-main/compute/backend.ts';
import { loadWhisper } from '../src-main/whisper/load.ts';
import { TrainableSet, DEFAULT_METHOD, type MethodConfig } from '../src-main/tuning/methods.ts';
import { AdamW } from '../src-main/tuning/optimizer.ts';
import { distillTarget, klToTarget, maskedNll } from '../src-main/tuning/loss.ts';
import { GradientSum } from '../src-main/tuning/grad-sum.ts';
import { l2sp } from '../src-main/tuning/regularizers.ts';
import { recomputeEncoder } from '../src-main/tuning/trainer.ts';
import { fakeMel } from './whisper.ts';
import type { CrossProjections } from '../src-main/whisper/model.ts';

const env = process.env;
const size = env.SIZE ?? 'tiny';
const methodName = env.METHOD ?? 'full';
const batch = Number(env.BATCH ?? (methodName === 'lora-dec' ? 8 : 1));
const reg = env.REG ?? (methodName === 'full' ? 'l2sp' : 'distill');
const steps = Number(env.STEPS ?? 2);
await initBackend((env.BACKEND ?? 'wasm') as 'wasm');
if (env.LEAN === '0') delete (tf.engine() as unknown as { gradients?: unknown }).gradients; // back to tfjs's own
const MB = 2 ** 20;
const heapMb = () => {
  const w = (tf.backend() as unknown as { wasm?: { wasmMemory?: WebAssembly.Memory; HEAPU8: Uint8Array } }).wasm;
  if (!w) return 0;
  return (w.wasmMemory?.buffer.byteLength ?? w.HEAPU8.buffer.byteLength) / MB;
};
// Peak of live tensor bytes, each data buffer counted once (tf.memory().numBytes counts a buffer
// once per tensor that shares it: variables made from weights, reshapes).
const eng = tf.engine() as unknown as {
  trackTensor(a: tf.Tensor, b: unknown): void;
  removeDataId(d: object, b: unknown): void;
  state: { tensorInfo: WeakMap<object, { bytes: number }> };
};
let unique = tf.memory().numBytes; // nothing shared yet
let peak = unique;
const origTrack = eng.trackTensor.bind(eng);
eng.trackTensor = (a, b) => {
  const had = eng.state.tensorInfo.has(a.dataId);
  origTrack(a, b);
  if (!had) {
    unique += eng.state.tensorInfo.get(a.dataId)?.bytes ?? 0;
    if (unique > peak) peak = unique;
  }
};
const origRemove = eng.removeDataId.bind(eng);
eng.removeDataId = (d, b) => {
  const info = eng.state.tensorInfo.get(d);
  origRemove(d, b);
  if (info && !eng.state.tensorInfo.has(d)) unique -= info.bytes;
};
const reset = () => (peak = unique);
const log = (what: string) =>
  console.log(`${what.padEnd(28)} live ${(unique / MB).toFixed(0).padStart(6)} MB  peak-live ${(peak / MB).toFixed(0).padStart(6)} MB  heap ${heapMb().toFixed(0).padStart(6)} MB  tensors ${tf.memory().numTensors}`);

const { model, tokenizer } = await loadWhisper(path.join(os.tmpdir(), 'vocab-tuner-bench', size));
log(`loaded ${size}`);
const method: MethodConfig =
  methodName === 'full' ? { ...DEFAULT_METHOD, method: 'full' } : { ...DEFAULT_METHOD, lora: { ...DEFAULT_METHOD.lora, stacks: methodName === 'lora-dec' ? ['decoder'] : ['encoder', 'decoder'] } };
const set = new TrainableSet(model, method, 0);
const opt = new AdamW(set.params);
const nParams = [...set.params.values()].reduce((s, v) => s + v.size, 0);
console.log(`${size} ${methodName} b${batch} reg=${reg} backend=${currentBackend()} params ${(nParams / 1e6).toFixed(1)} M = ${((nParams * 4) / MB).toFixed(0)} MB`);
log('set + optimizer');
if (set.lora) set.lora.training = true;
const nTok = 32;
const vocab = Math.min(model.dims.nVocab, 50000);
const ids = Array.from({ length: batch * nTok }, (_, i) => (i * 7919 + 13) % vocab);
const labelIds = ids.map((_, i) => ((i + 1) % nTok === 0 ? tokenizer.special.eot : ids[i + 1]));
const inputs = tf.tensor2d(ids, [batch, nTok], 'int32');
const labels = tf.tensor2d(labelIds, [batch, nTok], 'int32');
const frozen = set.encoderFrozen;
const { nAudioCtx, nAudioState } = model.dims;
const audioIn: tf.Tensor3D = frozen ? tf.randomNormal([batch, nAudioCtx, nAudioState], 0, 1, 'float32', 11) : fakeMel(model, batch);
const recompute = recomputeEncoder(currentBackend(), model.dims);
const { base, tuned } = set;
const logitsOf = (m: typeof base, cross?: CrossProjections) => m.decodeFull(inputs, frozen ? audioIn : m.encode(audioIn, { recompute }), cross);
const varKey = new Map([...set.params].map(([k, v]) => [v.name, k]));
const micro = Number(env.MICRO ?? 1);
for (let s = 0; s < steps; s++) {
  const t0 = performance.now();
  const sum = new GradientSum((name) => varKey.get(name)!);
  let lossSum = 0;
  for (let part = 0; part < micro; part++) {
    reset();
    // As trainer.ts: with a frozen encoder, the distillation target and the training pass share one set of cross-attention K/V.
    const cross = reg === 'distill' && frozen ? base.crossProjections(audioIn) : undefined;
    const target = reg === 'distill' ? tf.tidy(() => distillTarget(logitsOf(base, cross))) : null;
    if (target) log(`step ${s}.${part} distill targets`);
    reset();
    const { value, grads: g } = tf.variableGrads(() => {
      const logp = tf.logSoftmax(logitsOf(tuned, cross), -1) as tf.Tensor3D;
      let loss: tf.Tensor = maskedNll(logp, labels);
      if (reg === 'distill' && target) loss = tf.add(loss, tf.mul(klToTarget(target, logp, labels), 0.5));
      if (reg === 'l2sp') loss = tf.add(loss, tf.mul(l2sp(set), 0.01));
      log(`step ${s}.${part} forward`);
      if (env.DUMP && s === 0 && part === 0) {
        const tape = (tf.engine() as unknown as { state: { activeTape: { kernelName: string; saved?: tf.Tensor[]; outputs: tf.Tensor[] }[] } }).state.activeTape;
        const agg = new Map<string, { n: number; bytes: number }>();
        const seen = new Set<object>();
        for (const node of tape) for (const t of node.saved ?? []) {
          if (t.isDisposed || seen.has(t.dataId)) continue;
          seen.add(t.dataId);
          const k = `${node.kernelName} [${t.shape.join(',')}] ${t.dtype}`;
          const e = agg.get(k) ?? { n: 0, bytes: 0 };
          e.n++; e.bytes += t.size * 4;
          agg.set(k, e);
        }
        const rows = [...agg].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 25);
        console.log(`tape: ${tape.length} nodes, saved unique ${([...agg.values()].reduce((x, e) => x + e.bytes, 0) / MB).toFixed(0)} MB`);
        for (const [k, e] of rows) console.log(`  ${(e.bytes / MB).toFixed(1).padStart(8)} MB  ${e.n}×  ${k}`);
      }
      return loss as tf.Scalar;
    }, [...set.params.values()]);
    cross?.dispose();
    log(`step ${s}.${part} backward`);
    reset();
    // As trainer.ts accumulates micro-batches.
    const weight = batch * nTok;
    lossSum += (await value.data())[0] * weight;
    sum.add(g, weight);
    value.dispose();
    if (target) tf.dispose([target.logp, target.p]);
    log(`step ${s}.${part} accumulate`);
  }
  reset();
  const grads = sum.mean();
  const norm = await opt.apply(grads, 1e-5, 1, (n) => set.decays(n));
  log(`step ${s} divide + apply`);
  tf.dispose([...grads.values()]);
  console.log(`step ${s}: loss ${(lossSum / sum.weight).toFixed(4)} |g| ${norm.toFixed(4)} ${((performance.now() - t0) / 1000).toFixed(1)} s; rss ${(process.memoryUsage().rss / MB).toFixed(0)} MB`);
}
const check = [...set.params.values()].slice(0, 3).map((v) => tf.tidy(() => tf.sum(v).dataSync()[0]).toPrecision(10));
console.log('param sums', check.join(' '));
const full = [...set.params.values()].map((v) => v.dataSync());
let h = 0;
for (const a of full) for (let i = 0; i < a.length; i += 97) h = (h * 31 + Math.round(a[i] * 1e7)) % 1e12;
console.log('param hash', h, 'lean', !('gradients' in tf.engine() && env.LEAN === '0'));
log('end');
