/**
 * The model benchmarks of `npm run bench` for one (size, backend): encoder forward on 30 s,
 * greedy decoding with the KV cache, a decoder-LoRA training step (cached encoder output), a
 * LoRA step through encoder and decoder, and tensor count / RSS over many decoder-LoRA steps.
 *
 * Every timing is a median after one warm-up run (the first call compiles shaders, packs
 * XNNPACK weights and allocates). Wall and process CPU time are both kept: the machine the README
 * numbers come from is shared, and CPU time is the less disturbed of the two.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KVCache, type WhisperModel } from '../src-main/whisper/model.ts';
import { maskedCrossEntropy } from '../src-main/tuning/loss.ts';
import { DEFAULT_METHOD, TrainableSet, type MethodConfig } from '../src-main/tuning/methods.ts';
import { AdamW } from '../src-main/tuning/optimizer.ts';
import { recomputeEncoder } from '../src-main/tuning/trainer.ts';
import { currentBackend } from '../src-main/compute/backend.ts';

export interface Timing {
  /** Median wall seconds. */
  wall: number;
  /** Median process CPU seconds (user + system, all threads). */
  cpu: number;
  runs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs `fn` once to warm up, then `reps` times (fewer when one run exceeds `budgetSec`, so a slow
 * software backend still finishes). Shape: fn returns nothing; its work must be complete (data read
 * back) when it returns. Reads use the async `data()`: WebGPU under Node has no synchronous readback
 * (tfjs-backend-webgpu's dataSync needs OffscreenCanvas).
 */
export async function measure(fn: () => unknown, reps: number, budgetSec: number): Promise<Timing> {
  const t0 = performance.now();
  await fn();
  const warm = (performance.now() - t0) / 1000;
  const n = Math.max(1, Math.min(reps, Math.floor(budgetSec / Math.max(warm, 1e-3))));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    wall.push((performance.now() - t) / 1000);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1e6);
  }
  return { wall: median(wall), cpu: median(cpu), runs: n };
}

/** Deterministic pseudo-random floats (a fixed input, independent of the backend's RNG). */
function noise(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

/** A log-mel-like input [b, nMels, 3000] in Whisper's range (about −1 … 1). */
export function fakeMel(model: WhisperModel, b = 1): tf.Tensor3D {
  const { nMels, nAudioCtx } = model.dims;
  return tf.tensor3d(noise(b * nMels * nAudioCtx * 2, 7), [b, nMels, nAudioCtx * 2]);
}

/** Encoder forward on one 30-second window. */
export async function benchEncoder(model: WhisperModel, reps: number, budgetSec: number): Promise<Timing> {
  const mel = fakeMel(model);
  try {
    return await measure(async () => {
      const y = model.encode(mel);
      await y.data();
      y.dispose();
    }, reps, budgetSec);
  } finally {
    mel.dispose();
  }
}

/**
 * Greedy decoding of `nTokens` tokens after the SOT sequence with the KV cache (argmax read back
 * to the host each step, as the real decoder does). The first step also computes the cross-
 * attention keys/values. Returns the whole loop's timing; per token = total / nTokens.
 */
export async function benchGreedy(model: WhisperModel, sot: number[], nTokens: number, reps: number, budgetSec: number): Promise<Timing> {
  const audio = tf.tidy(() => model.encode(fakeMel(model)));
  try {
    return await measure(async () => {
      const cache = new KVCache(model.dims.nTextLayer);
      try {
        let feed = sot;
        for (let i = 0; i < nTokens; i++) {
          const next = tf.tidy(() => {
            const logits = model.decodeStep(tf.tensor2d([feed], [1, feed.length], 'int32'), audio, cache);
            return tf.argMax(logits, -1);
          });
          const id = ((await next.data()) as Int32Array)[0];
          next.dispose();
          feed = [id];
        }
      } finally {
        cache.dispose();
      }
    }, reps, budgetSec);
  } finally {
    audio.dispose();
  }
}

export interface StepSetup {
  /** Decoder input tokens [batch, nTok] and labels (the inputs shifted left, last = EOT). */
  batch: number;
  nTok: number;
  /** LoRA on the decoder only (encoder output cached) or on encoder and decoder. */
  stacks: ('encoder' | 'decoder')[];
}

/** One training step as the trainer runs it (without the distillation forward): closure + its cleanup. */
export function makeLoraStep(model: WhisperModel, eot: number, s: StepSetup): { step: () => Promise<number>; dispose: () => void } {
  const method: MethodConfig = { ...DEFAULT_METHOD, lora: { ...DEFAULT_METHOD.lora, stacks: s.stacks } };
  const set = new TrainableSet(model, method, 0);
  const opt = new AdamW(set.params);
  set.lora!.training = true;
  const vocab = Math.min(model.dims.nVocab, 50000);
  const ids = Array.from({ length: s.batch * s.nTok }, (_, i) => (i * 7919 + 13) % vocab);
  const labels = ids.map((_, i) => ((i + 1) % s.nTok === 0 ? eot : ids[i + 1]));
  const inputs = tf.tensor2d(ids, [s.batch, s.nTok], 'int32');
  const labelT = tf.tensor2d(labels, [s.batch, s.nTok], 'int32');
  const frozen = !s.stacks.includes('encoder');
  const { nAudioCtx, nAudioState } = model.dims;
  // Frozen encoder: a cached encoder output, as FeatureCache hands the trainer; else the mel.
  const audioIn: tf.Tensor3D = frozen
    ? tf.tensor3d(noise(s.batch * nAudioCtx * nAudioState, 11), [s.batch, nAudioCtx, nAudioState])
    : fakeMel(model, s.batch);
  const vars = [...set.params.values()];
  const byName = new Map([...set.params].map(([k, v]) => [v.name, k]));
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => {
      // As the trainer does: encoder blocks recomputed in the backward pass where memory is tight.
      const audio = frozen ? audioIn : set.tuned.encode(audioIn, { recompute: recomputeEncoder(currentBackend(), model.dims) });
      return maskedCrossEntropy(set.tuned.decodeFull(inputs, audio), labelT);
    }, vars);
    const loss = (await value.data())[0];
    const named = new Map(Object.entries(grads).map(([vn, g]) => [byName.get(vn)!, g]));
    await opt.apply(named, 1e-3, 1, (n) => set.decays(n));
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
  return {
    step,
    dispose: () => {
      tf.dispose([inputs, labelT, audioIn]);
      opt.dispose();
      set.dispose();
    },
  };
}

export async function benchLoraStep(model: WhisperModel, eot: number, s: StepSetup, reps: number, budgetSec: number): Promise<Timing> {
  const { step, dispose } = makeLoraStep(model, eot, s);
  try {
    return await measure(step, reps, budgetSec);
  } finally {
    dispose();
  }
}

export interface MemoryRun {
  steps: number;
  batch: number;
  nTok: number;
  tensorsBefore: number;
  tensorsAfter: number;
  /** RSS in MB after the first step (everything allocated once) and after the last. */
  rssAfterFirstMb: number;
  rssAfterMb: number;
  secPerStep: number;
}

/** Many decoder-LoRA steps: the tensor count must not grow, and RSS should stay flat. */
export async function benchMemory(model: WhisperModel, eot: number, steps: number, batch: number, nTok: number): Promise<MemoryRun> {
  const tensorsBefore = tf.memory().numTensors;
  const { step, dispose } = makeLoraStep(model, eot, { batch, nTok, stacks: ['decoder'] });
  await step();
  const rssAfterFirstMb = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  for (let i = 1; i < steps; i++) await step();
  const secPerStep = (performance.now() - t0) / 1000 / Math.max(1, steps - 1);
  const rssAfterMb = process.memoryUsage().rss / 2 ** 20;
  dispose();
  return { steps, batch, nTok, tensorsBefore, tensorsAfter: tf.memory().numTensors, rssAfterFirstMb, rssAfterMb, secPerStep };
}

/** Kernel time per op over one encoder forward (tf.profile), largest first. */
export async function profileEncoder(model: WhisperModel): Promise<{ kernel: string; ms: number; calls: number }[]> {
  const mel = fakeMel(model);
  tf.tidy(() => void model.encode(mel).dataSync()); // warm-up
  const info = await tf.profile(() => {
    const y = model.encode(mel);
    y.dataSync();
    return y;
  });
  mel.dispose();
  const agg = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = agg.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls++;
    agg.set(k.name, e);
  }
  return [...agg].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
}
