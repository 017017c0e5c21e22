/**
 * The training loop, one readable function (nanoGPT style). Everything a step uses — which clips,
 * which augmentation variant, which dropout masks — is a pure function of (seed, step), so a run
 * resumed from its last checkpoint after a crash ends with the same weights as one that never
 * stopped.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { currentBackend } from '../compute/backend.ts';
import { loadWhisper } from '../whisper/load.ts';
import type { CrossProjections, WhisperModel } from '../whisper/model.ts';
import { readTrainingSet, type Clip } from './dataset.ts';
import { seedOf } from '../util/random.ts';
import { ENCODER_BATCH, FeatureCache } from './features.ts';
import { StageClock, type StageSeconds } from './stages.ts';
import { collate, distillTarget, klToTarget, makeExample, maskedCrossEntropy, maskedNll, type DistillTarget } from './loss.ts';
import { TrainableSet } from './methods.ts';
import { AdamW, DEFAULT_ADAMW } from './optimizer.ts';
import { GradientSum } from './grad-sum.ts';
import { estimateFisher, ewcPenalty, l2sp } from './regularizers.ts';
import { getLr } from './schedule.ts';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointState, type EvalPoint } from './run-state.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { validate } from './validate.ts';
import { decodedForm } from '../whisper/probe.ts';
import { exportRunArtifacts, reportFor } from './artifacts.ts';
import { UserError } from '../util/errors.ts';

// The config type, its defaults and the preset live in config.ts (tf-free); re-exported here.
export { defaultConfig, type TuneConfig } from './config.ts';
import type { TuneConfig } from './config.ts';

/**
 * The largest micro-batch one forward/backward pass may take. The wasm backend's heap is capped at
 * 4 GB: at whisper-base width a batch of 8 (or a step through the encoder) overflows it, so larger
 * batches are split into micro-batches whose gradients are accumulated. The result is the same
 * gradient (each part is weighted by its labelled tokens), only the peak memory changes.
 */
export function microBatchLimit(backend: string, dims: { nTextState: number }, encoderTrains: boolean): number {
  if (backend !== 'wasm') return Infinity;
  if (encoderTrains) return 1;
  return dims.nTextState <= 384 ? 8 : dims.nTextState <= 512 ? 4 : dims.nTextState <= 768 ? 2 : 1;
}

/**
 * Whether encoder blocks are recomputed in the backward pass (whisper/recompute.ts) when the
 * encoder trains: on wasm at base width and above, where the 4 GB heap cannot hold every block's
 * attention matrices (an encoder+decoder step at base aborted; with recomputation its heap is
 * 2.3 GB). At tiny everything fits and the extra forward would only cost time (4.1 → 6.0 s per
 * step); GPU backends have memory to spare.
 */
export function recomputeEncoder(backend: string, dims: { nAudioState: number }): boolean {
  return backend === 'wasm' && dims.nAudioState >= 512;
}

export type TuneEvent =
  | { type: 'prepare'; stage: string; done: number; total: number; etaSec?: number | null }
  | { type: 'start'; totalSteps: number; trainClips: number; validationClips: number; generalClips: number; trainable: number; encoderFrozen: boolean; resumedFrom: number | null; backend: string }
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; lr: number; gradNorm: number; samplesPerSec: number; etaSec: number }
  | ({ type: 'eval' } & EvalPoint)
  | { type: 'checkpoint'; step: number }
  | { type: 'done'; status: 'completed' | 'early-stopped'; steps: number; best: { step: number; score: number } | null; runDir: string; stages: StageSeconds }
  | { type: 'cancelled'; step: number };

export interface TuneOptions {
  modelDir: string;
  dataDir: string;
  outDir: string;
  config: TuneConfig;
  resume?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: TuneEvent) => void;
}

export async function tune(o: TuneOptions): Promise<{ runDir: string; status: string }> {
  const c = o.config;
  const runDir = resolve(o.outDir);
  const emit = (e: TuneEvent) => o.onEvent?.(e);
  if (existsSync(join(runDir, 'run.json')) && !o.resume) {
    throw new UserError('RUN_EXISTS', `${runDir} already holds a run; pass --resume to continue it or choose another --out folder`);
  }
  if (o.resume && !hasCheckpoint(runDir)) throw new UserError('NO_CHECKPOINT', `${runDir} has no checkpoint to resume from`);
  mkdirSync(runDir, { recursive: true });

  // ---- model, data, what trains -------------------------------------------------------------
  const clock = new StageClock();
  const { model, tokenizer: tok } = await clock.time('load', () => loadWhisper(o.modelDir));
  const data = await clock.time('load', () => readTrainingSet(o.dataDir, (done, total) => emit({ type: 'prepare', stage: 'loading audio', done, total })));
  const set = new TrainableSet(model, c.method, c.seed);
  // Two views of the same loaded weights: the base (empty state) and the one being trained.
  const { base, tuned } = set;
  const feats = new FeatureCache(model.dims, c.augment, c.seed, set.encoderFrozen);
  const prefix = tok.sotSequence({ language: tok.isMultilingual ? (c.language ?? 'en') : undefined, task: 'transcribe', timestamps: false });
  const encode = (clip: Clip) => makeExample(prefix, tok.encode(decodedForm(clip.text)), tok.special.eot, model.dims.nTextCtx);
  const examples = data.train.map(encode);
  const perStep = c.batchSize * c.gradAccum;
  const stepsPerEpoch = Math.max(1, Math.ceil(data.train.length / perStep));
  const totalSteps = c.steps ?? stepsPerEpoch * c.epochs;
  const opt = new AdamW(set.params, { ...DEFAULT_ADAMW, weightDecay: c.weightDecay });
  const varKey = new Map([...set.params].map(([k, v]) => [v.name, k]));

  /** The k-th example of the endless shuffled stream: (clip index, epoch). */
  const orders = new Map<number, number[]>();
  const exampleAt = (k: number) => {
    const epoch = Math.floor(k / data.train.length);
    let order = orders.get(epoch);
    if (!order) {
      order = data.train.map((_, i) => i);
      const r = seedOf(c.seed, 'order', epoch);
      let s = r;
      for (let i = order.length - 1; i > 0; i--) {
        s = seedOf(s, i);
        const j = s % (i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      orders.set(epoch, order);
    }
    const idx = order[k % data.train.length];
    const variant = c.augment.variants > 1 ? seedOf(c.seed, 'variant', epoch, idx) % c.augment.variants : 0;
    return { idx, epoch, variant };
  };

  /** Host → device inputs of one micro-batch: padded tokens and (cached) encoder output or mel. */
  const prepare = async (items: { idx: number; variant: number }[]) => {
    const clips = items.map((i) => data.train[i.idx]);
    const b = collate(items.map((i) => examples[i.idx]), tok.special.eot);
    const variants = items.map((i) => i.variant);
    const audioIn = set.encoderFrozen ? await feats.audioBatch(base, clips, variants) : feats.melBatch(clips, variants);
    return { b, audioIn, dispose: () => tf.dispose([b.inputs, b.labels, audioIn]) };
  };
  type Prepared = Awaited<ReturnType<typeof prepare>>;
  const recompute = recomputeEncoder(currentBackend(), model.dims);
  const logitsOf = (m: WhisperModel, p: Prepared, cross?: CrossProjections) =>
    m.decodeFull(p.b.inputs, set.encoderFrozen ? (p.audioIn as tf.Tensor3D) : m.encode(p.audioIn, { recompute }), cross);
  /** The training objective: cross-entropy plus the chosen regulariser. */
  const objective = (p: Prepared, target: DistillTarget | null, fisher: Map<string, tf.Tensor> | null, cross?: CrossProjections) => (): tf.Scalar => {
    // One log-softmax over the vocabulary, shared by the cross-entropy and the distillation term.
    const logp = tf.logSoftmax(logitsOf(tuned, p, cross), -1) as tf.Tensor3D;
    let loss: tf.Tensor = maskedNll(logp, p.b.labels);
    if (c.regWeight > 0 && c.regularizer === 'distill' && target) loss = tf.add(loss, tf.mul(klToTarget(target, logp, p.b.labels), c.regWeight));
    if (c.regWeight > 0 && c.regularizer === 'l2sp') loss = tf.add(loss, tf.mul(l2sp(set), c.regWeight));
    if (c.regWeight > 0 && c.regularizer === 'ewc' && fisher) loss = tf.add(loss, tf.mul(ewcPenalty(set, fisher), c.regWeight));
    return loss as tf.Scalar;
  };

  // ---- EWC needs the base model's Fisher before any update -------------------------------------
  let fisher: Map<string, tf.Tensor> | null = null;
  if (c.regularizer === 'ewc' && c.regWeight > 0) {
    const names = set.lora ? [...set.lora.modules.keys()].map((m) => `${m}.weight`) : [...set.params.keys()];
    const nb = Math.min(8, Math.ceil(data.train.length / c.batchSize));
    const batches: Prepared[] = [];
    for (let i = 0; i < nb; i++) batches.push(await prepare(Array.from({ length: c.batchSize }, (_, j) => ({ idx: (i * c.batchSize + j) % data.train.length, variant: 0 }))));
    try {
      fisher = estimateFisher(base, names, nb, (m, i) => tf.tidy(() => maskedCrossEntropy(logitsOf(m, batches[i]), batches[i].b.labels)));
    } finally {
      for (const p of batches) p.dispose();
    }
  }

  // ---- state: fresh or resumed ------------------------------------------------------------------
  let state: CheckpointState = { step: 0, optimizerStep: 0, history: [], evals: [], best: null, badEvals: 0, elapsedSec: 0 };
  let resumedFrom: number | null = null;
  if (o.resume) {
    state = await loadCheckpoint(runDir, set.params, opt);
    resumedFrom = state.step;
  }
  // ---- a frozen encoder runs once per (clip, variant) the run uses, batched, before the steps ----
  if (set.encoderFrozen) {
    const items = new Map<string, { clip: Clip; variant: number }>();
    for (let k = state.step * perStep; k < totalSteps * perStep; k++) {
      const e = exampleAt(k);
      items.set(`${e.idx}#${e.variant}`, { clip: data.train[e.idx], variant: e.variant });
    }
    for (const clip of [...data.validation, ...data.general]) items.set(`${clip.id}#0`, { clip, variant: 0 });
    await clock.time('features', () =>
      feats.precompute(base, [...items.values()], { batch: ENCODER_BATCH, signal: o.signal, onProgress: (done, total, etaSec) => emit({ type: 'prepare', stage: 'encoding clips', done, total, etaSec }) }),
    );
  }
  const baseGeneral = data.general.length ? await clock.time('validation', async () => (await validate(base, tok, feats, { validation: data.general, general: [], terms: [], prefix, decode: false })).valLoss) : null;
  const runInfo = {
    version: 1,
    model: resolve(o.modelDir),
    data: resolve(o.dataDir),
    config: c,
    backend: currentBackend(),
    trainable: [...set.params.values()].reduce((s, v) => s + v.size, 0),
    encoderFrozen: set.encoderFrozen,
    clips: { train: data.train.length, validation: data.validation.length, general: data.general.length },
    notes: data.notes,
    totalSteps,
  };
  const writeRun = (status: string, extra: object = {}) =>
    writeJsonAtomic(join(runDir, 'run.json'), { ...runInfo, status, step: state.step, history: state.history, evals: state.evals, best: state.best, timings: { elapsedSec: state.elapsedSec, stages: clock.seconds(), melSec: feats.melSec, encoderSec: feats.encodeSec, encoderCache: { entries: feats.size, hits: feats.hits, misses: feats.misses } }, ...extra });
  writeRun('running');
  emit({ type: 'start', totalSteps, trainClips: data.train.length, validationClips: data.validation.length, generalClips: data.general.length, trainable: runInfo.trainable, encoderFrozen: set.encoderFrozen, resumedFrom, backend: runInfo.backend });

  const evaluate = async (step: number) => {
    if (set.lora) set.lora.training = false;
    const v = await clock.time('validation', () => validate(tuned, tok, feats, { validation: data.validation, general: data.general, terms: c.terms, prefix, decode: c.evalDecode, language: c.language }));
    const drift = v.generalLoss !== null && baseGeneral !== null ? v.generalLoss - baseGeneral : null;
    const guardOk = drift === null || drift <= c.guardMaxLossDrift;
    // Score: term recall first, term log-prob second; without terms, the negative validation loss.
    const score = v.termRecall !== null ? v.termRecall * 100 + (v.termLogprob ?? 0) / 100 : v.termLogprob !== null ? v.termLogprob : -v.valLoss;
    const point: EvalPoint = { step, valLoss: v.valLoss, termLogprob: v.termLogprob, termRecall: v.termRecall, generalLossDrift: drift, score, guardOk };
    state.evals.push(point);
    emit({ type: 'eval', ...point });
    if (guardOk && (state.best === null || score > state.best.score)) {
      state.best = { step, score };
      state.badEvals = 0;
      await clock.time('export', () => exportRunArtifacts(join(runDir, 'best'), { modelDir: o.modelDir, set }));
    } else state.badEvals++;
  };

  // ---- the loop ---------------------------------------------------------------------------------
  const t0 = Date.now() - state.elapsedSec * 1000;
  let status: 'completed' | 'early-stopped' | 'cancelled' = 'completed';
  try {
    if (state.step === 0 && data.validation.length > 0) await evaluate(0);
    while (state.step < totalSteps) {
      // A step is a chain of awaited reads that resolve as microtasks; give the event loop one turn
      // so a cancel message (job IPC) or Ctrl-C (SIGINT) is seen at this step boundary.
      await new Promise((r) => setImmediate(r));
      if (o.signal?.aborted) {
        status = 'cancelled';
        break;
      }
      const step = state.step;
      const lr = getLr(step, { lr: c.lr, warmup: c.warmupSteps, total: totalSteps, kind: c.schedule, minLr: 0 });
      if (set.lora) {
        set.lora.training = true;
        set.lora.setDropoutSeed(seedOf(c.seed, 'dropout', step));
      }
      const stepStart = Date.now();
      const sum = new GradientSum((name) => varKey.get(name)!);
      let lossSum = 0;
      let epoch = 0;
      const micro = c.maxMicroBatch ?? microBatchLimit(currentBackend(), model.dims, !set.encoderFrozen);
      const parts: { idx: number; variant: number; epoch: number }[][] = [];
      for (let a = 0; a < c.gradAccum; a++) {
        const items = Array.from({ length: c.batchSize }, (_, j) => exampleAt((step * c.gradAccum + a) * c.batchSize + j));
        for (let k = 0; k < items.length; k += Math.min(micro, items.length)) parts.push(items.slice(k, k + Math.min(micro, items.length)));
      }
      for (const items of parts) {
        epoch = items[0].epoch;
        const p = await prepare(items);
        // Distillation targets: the base model on the same inputs, outside the gradient tape. With a
        // frozen encoder both forwards read the same cross-attention projections of the cached
        // features, computed once here (at base width, b4: 0.8 s of a 1.4 s base forward).
        const distill = c.regularizer === 'distill' && c.regWeight > 0;
        const cross = distill && set.encoderFrozen ? base.crossProjections(p.audioIn as tf.Tensor3D) : undefined;
        const target = distill ? tf.tidy(() => distillTarget(logitsOf(base, p, cross))) : null;
        const { value, grads: g } = tf.variableGrads(objective(p, target, fisher, cross), [...set.params.values()]);
        cross?.dispose();
        lossSum += (await value.data())[0] * p.b.count;
        sum.add(g, p.b.count);
        value.dispose();
        p.dispose();
        if (target) tf.dispose([target.logp, target.p]);
      }
      const grads = sum.mean();
      const gradNorm = await opt.apply(grads, lr, c.maxGradNorm, (n) => set.decays(n));
      tf.dispose([...grads.values()]);
      state.step = step + 1;
      const sec = (Date.now() - stepStart) / 1000;
      clock.add('steps', sec);
      const samplesPerSec = perStep / Math.max(sec, 1e-6);
      state.elapsedSec = (Date.now() - t0) / 1000;
      const loss = lossSum / sum.weight;
      state.history.push({ step: state.step, epoch, loss, lr, gradNorm, samplesPerSec });
      const etaSec = (state.elapsedSec / Math.max(1, state.step - (resumedFrom ?? 0))) * (totalSteps - state.step);
      emit({ type: 'step', step: state.step, totalSteps, epoch, loss, lr, gradNorm, samplesPerSec, etaSec });
      if (data.validation.length > 0 && (state.step % c.evalEvery === 0 || state.step === totalSteps)) {
        await evaluate(state.step);
        if (c.patience > 0 && state.badEvals >= c.patience) status = 'early-stopped';
      }
      if (state.step % c.checkpointEvery === 0 || state.step === totalSteps || status === 'early-stopped') {
        await clock.time('export', () => saveCheckpoint(runDir, set.params, opt, state));
        writeRun('running');
        emit({ type: 'checkpoint', step: state.step });
      }
      if (status === 'early-stopped') break;
    }
    if (status === 'completed' || status === 'early-stopped') {
      await clock.time('export', async () => {
        await exportRunArtifacts(join(runDir, 'adapter'), { modelDir: o.modelDir, set });
        if (!state.best) {
          state.best = { step: state.step, score: NaN };
          await exportRunArtifacts(join(runDir, 'best'), { modelDir: o.modelDir, set });
        }
      });
      writeRun(status, { changeReport: await reportFor(set) });
      emit({ type: 'done', status, steps: state.step, best: state.best, runDir, stages: clock.seconds() });
    } else if (status === 'cancelled') {
      // Keep every finished step: a cancelled run resumes from here, not from its last periodic checkpoint.
      if (state.step > 0) await saveCheckpoint(runDir, set.params, opt, state);
      writeRun('cancelled');
      emit({ type: 'cancelled', step: state.step });
    }
  } finally {
    if (fisher) tf.dispose([...fisher.values()]);
    opt.dispose();
    set.dispose();
    model.dispose();
  }
  return { runDir, status };
}
