/**
 * A tuning run's configuration (the trainer's `TuneConfig`, as stored in run.json) in the words the
 * cluster recipe's `train.py` reads (`recipe.json`, snake_case for Python). Pure functions: no
 * files, no tfjs, so the field-by-field mapping is testable on its own.
 *
 * Why a table (`FIELDS`) and not a hand-written object: a test walks every leaf of the trainer's
 * config and looks its recipe field up here, so a field added to the trainer and forgotten here
 * fails the test instead of silently training something else on the cluster.
 */
import type { TuneConfig } from '../tuning/config.ts';
import { DEFAULT_ADAMW } from '../tuning/optimizer.ts';
import { targetedModules } from '../tuning/lora.ts';
import { peftTargetModules } from '../tuning/peft.ts';
import type { WhisperDims } from '../whisper/config.ts';

export const RECIPE_FORMAT = 'vocab-tuner-recipe/1';

/** What `train.py` reads from recipe.json. Every value comes from the run (see FIELDS). */
export interface RecipeConfig {
  format: typeof RECIPE_FORMAT;
  /** Hub id (e.g. openai/whisper-base.en) or a folder relative to the recipe ("model/"). */
  base_model: string;
  method: TuneConfig['method']['method'];
  lora: {
    r: number;
    lora_alpha: number;
    lora_dropout: number;
    use_rslora: boolean;
    /** The module-name suffixes and stacks as our trainer states them… */
    targets: string[];
    stacks: ('encoder' | 'decoder')[];
    /** …and PEFT's `target_modules` that adapts exactly those modules (a list or a fullmatch regex). */
    target_modules: string[] | string;
  };
  freeze_encoder_layers: number | 'all';
  learning_rate: number;
  schedule: TuneConfig['schedule'];
  warmup_steps: number;
  max_steps: number | null;
  epochs: number;
  /** Examples per accumulation part; one optimizer step sees batch_size × grad_accum examples in total. */
  batch_size: number;
  grad_accum: number;
  max_grad_norm: number;
  weight_decay: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  regularizer: TuneConfig['regularizer'];
  reg_weight: number;
  seed: number;
  augment: { variants: number; speed: boolean; volume: boolean; noise: boolean; spec_augment: boolean };
  eval_every: number;
  checkpoint_every: number;
  patience: number;
  eval_decode: boolean;
  guard_max_loss_drift: number;
  terms: string[];
  language: string | null;
  /** Largest per-device micro-batch the run used (null: the whole batch at once). */
  max_micro_batch: number | null;
}

/**
 * Trainer config leaf path → recipe.json path, and how the value is carried. `same`: copied as is;
 * `null`: an absent optional field becomes null. Keys are dotted paths into TuneConfig.
 */
export const FIELDS: Record<string, { to: string; absent?: 'null' }> = {
  'method.method': { to: 'method' },
  'method.lora.rank': { to: 'lora.r' },
  'method.lora.alpha': { to: 'lora.lora_alpha' },
  'method.lora.dropout': { to: 'lora.lora_dropout' },
  'method.lora.targetModules': { to: 'lora.targets' },
  'method.lora.stacks': { to: 'lora.stacks' },
  'method.lora.useRslora': { to: 'lora.use_rslora' },
  'method.freezeEncoderLayers': { to: 'freeze_encoder_layers' },
  lr: { to: 'learning_rate' },
  schedule: { to: 'schedule' },
  warmupSteps: { to: 'warmup_steps' },
  steps: { to: 'max_steps', absent: 'null' },
  epochs: { to: 'epochs' },
  batchSize: { to: 'batch_size' },
  gradAccum: { to: 'grad_accum' },
  maxGradNorm: { to: 'max_grad_norm' },
  weightDecay: { to: 'weight_decay' },
  regularizer: { to: 'regularizer' },
  regWeight: { to: 'reg_weight' },
  seed: { to: 'seed' },
  'augment.variants': { to: 'augment.variants' },
  'augment.speed': { to: 'augment.speed' },
  'augment.volume': { to: 'augment.volume' },
  'augment.noise': { to: 'augment.noise' },
  'augment.specAugment': { to: 'augment.spec_augment' },
  evalEvery: { to: 'eval_every' },
  checkpointEvery: { to: 'checkpoint_every' },
  patience: { to: 'patience' },
  evalDecode: { to: 'eval_decode' },
  guardMaxLossDrift: { to: 'guard_max_loss_drift' },
  terms: { to: 'terms' },
  language: { to: 'language', absent: 'null' },
  maxMicroBatch: { to: 'max_micro_batch', absent: 'null' },
};

/** Reads a dotted path ("method.lora.rank") from an object. */
export function at(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function put(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys[keys.length - 1]] = value;
}

/**
 * Module names depend on the depth of the model, PEFT's `target_modules` pattern does not (it names
 * the stack and the projections, never a layer number), so any depth gives the same answer.
 */
const PATTERN_DIMS: WhisperDims = { nMels: 80, nAudioCtx: 1500, nAudioState: 64, nAudioHead: 1, nAudioLayer: 2, nTextCtx: 448, nTextState: 64, nTextHead: 1, nTextLayer: 2, nVocab: 51864, nAudioFfn: 256, nTextFfn: 256 };

/** PEFT's target_modules for our LoRA targets — the same string our own PEFT export writes. */
export function peftTargets(lora: TuneConfig['method']['lora']): string[] | string {
  return peftTargetModules(targetedModules(PATTERN_DIMS, lora).map(([name]) => name), PATTERN_DIMS);
}

/** The trainer's config → recipe.json. `baseModel` is where train.py finds the base model. */
export function recipeConfig(c: TuneConfig, baseModel: string): RecipeConfig {
  const out: Record<string, unknown> = {
    format: RECIPE_FORMAT,
    base_model: baseModel,
    adam_beta1: DEFAULT_ADAMW.beta1,
    adam_beta2: DEFAULT_ADAMW.beta2,
    adam_epsilon: DEFAULT_ADAMW.eps,
  };
  for (const [from, { to, absent }] of Object.entries(FIELDS)) {
    const v = at(c, from);
    put(out, to, v === undefined && absent === 'null' ? null : structuredClone(v));
  }
  put(out, 'lora.target_modules', peftTargets(c.method.lora));
  return out as unknown as RecipeConfig;
}

/** Every leaf path of a plain object ("method.lora.rank", …); arrays are leaves. */
export function leafPaths(obj: unknown, prefix = ''): string[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}
