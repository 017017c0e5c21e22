/**
 * The trainer's configuration in one place: its type, its defaults, the one preset that both the
 * app's Tune button and `vocab-tuner tune` without options train with, and the mapping from the
 * app's Advanced panel (`TuneSettings`) to the full trainer config.
 *
 * No tfjs here (only type imports of tf-using modules): the serving process reads defaults and
 * maps settings without loading a tensor library; the trainer, methods and LoRA code import their
 * defaults from this file.
 */
import { DEFAULT_AUGMENT, type AugmentConfig } from './augment.ts';

export type Method = 'lora' | 'freeze' | 'layernorm' | 'bias' | 'full';
export const METHODS: readonly Method[] = ['lora', 'freeze', 'layernorm', 'bias', 'full'];

export type Regularizer = 'distill' | 'l2sp' | 'ewc' | 'none';
export const REGULARIZERS: readonly Regularizer[] = ['distill', 'l2sp', 'ewc', 'none'];

export interface LoraConfig {
  rank: number;
  alpha: number;
  dropout: number;
  /** Module-name suffixes, PEFT style: a module matches when its name ends with "." + entry. */
  targetModules: string[];
  /** Which stack(s) to adapt. PEFT itself matches everywhere; we narrow by prefix. */
  stacks: ('encoder' | 'decoder')[];
  useRslora: boolean;
}

/** Rank 8, alpha 16 on q and v of the decoder's attention: the PEFT Whisper recipe. */
export const DEFAULT_LORA: LoraConfig = {
  rank: 8,
  alpha: 16,
  dropout: 0.05,
  targetModules: ['q_proj', 'v_proj'],
  stacks: ['decoder'],
  useRslora: false,
};

export interface MethodConfig {
  method: Method;
  lora: LoraConfig;
  /** For "freeze": how many leading encoder layers stay frozen; "all" freezes the whole encoder. */
  freezeEncoderLayers: number | 'all';
}

/** The seeds' defaults: LoRA 1e-3 (PEFT recipe), full / freeze 1e-5 (HF blog), norms and biases between. */
export const DEFAULT_LR: Record<Method, number> = { lora: 1e-3, freeze: 1e-5, layernorm: 1e-4, bias: 1e-4, full: 1e-5 };

export const DEFAULT_METHOD: MethodConfig = { method: 'lora', lora: DEFAULT_LORA, freezeEncoderLayers: 'all' };

/** AdamW's decoupled weight decay (torch.optim.AdamW's default). */
export const DEFAULT_WEIGHT_DECAY = 0.01;

export interface TuneConfig {
  method: MethodConfig;
  lr: number;
  schedule: 'linear' | 'cosine' | 'constant';
  warmupSteps: number;
  /** Optimizer steps; derived from `epochs` when absent. */
  steps?: number;
  epochs: number;
  batchSize: number;
  gradAccum: number;
  maxGradNorm: number;
  weightDecay: number;
  regularizer: Regularizer;
  regWeight: number;
  seed: number;
  augment: AugmentConfig;
  evalEvery: number;
  checkpointEvery: number;
  /** Evaluations without a better score before stopping (0 = never stop early). */
  patience: number;
  /** Greedy-decode validation clips for term recall (slower, the honest metric). */
  evalDecode: boolean;
  /** General-set loss may rise at most this much (nats/token) for a checkpoint to be "best". */
  guardMaxLossDrift: number;
  terms: string[];
  language?: string;
  /** Cap on examples per forward/backward pass (memory); default from microBatchLimit(). */
  maxMicroBatch?: number;
}

/**
 * The full trainer config for a method, everything else at its default. `defaultConfig()` is THE
 * preset: LoRA rank 8, lr 1e-3, 5 epochs, distillation to the base model at weight 0.5.
 */
export function defaultConfig(method: MethodConfig = DEFAULT_METHOD): TuneConfig {
  return {
    method,
    lr: DEFAULT_LR[method.method],
    schedule: 'linear',
    warmupSteps: 10,
    epochs: 5,
    batchSize: 8,
    gradAccum: 1,
    maxGradNorm: 1,
    weightDecay: DEFAULT_WEIGHT_DECAY,
    regularizer: method.method === 'lora' ? 'distill' : 'l2sp',
    regWeight: method.method === 'lora' ? 0.5 : 0.01,
    seed: 0,
    augment: DEFAULT_AUGMENT,
    evalEvery: 25,
    checkpointEvery: 25,
    patience: 0,
    evalDecode: true,
    guardMaxLossDrift: 0.1,
    terms: [],
  };
}

/**
 * The app's Advanced panel: the few settings a user changes, spelled as the trainer spells them
 * (`lr`, `regularizer`, `regWeight`; `rank` is the LoRA rank). The IPC contract re-exports it.
 */
export interface TuneSettings {
  method: Method;
  lr: number;
  epochs: number;
  /** LoRA rank (ignored by the other methods). */
  rank: number;
  /** 'distill': keep the base model's outputs on general speech; 'l2sp': stay near base weights. */
  regularizer: Regularizer;
  regWeight: number;
  /** Optimizer steps instead of whole epochs (a quick trial run); absent: from `epochs`. */
  steps?: number;
}

/** A trainer config seen through the panel (what the panel shows for it). */
export function settingsOf(c: TuneConfig): TuneSettings {
  const s: TuneSettings = { method: c.method.method, lr: c.lr, epochs: c.epochs, rank: c.method.lora.rank, regularizer: c.regularizer, regWeight: c.regWeight };
  if (c.steps !== undefined) s.steps = c.steps;
  return s;
}

/** The preset as the panel shows it (served to the renderer by `tune.preset`). */
export function presetSettings(): TuneSettings {
  return settingsOf(defaultConfig());
}

/**
 * The panel's settings → the trainer's full config; everything the panel does not show keeps its
 * default. `null` (the Tune button) is the preset itself. LoRA alpha follows the rank (2r), as in
 * the preset, so the effective scale alpha/r stays 2 whatever rank is chosen.
 */
export function trainerConfig(s: TuneSettings | null, terms: string[]): TuneConfig {
  if (s === null) return { ...defaultConfig(), terms };
  const cfg = defaultConfig({ ...DEFAULT_METHOD, method: s.method, lora: { ...DEFAULT_LORA, rank: s.rank, alpha: 2 * s.rank } });
  const out: TuneConfig = { ...cfg, lr: s.lr, epochs: s.epochs, regularizer: s.regularizer, regWeight: s.regWeight, terms };
  if (s.steps !== undefined) out.steps = s.steps;
  return out;
}
