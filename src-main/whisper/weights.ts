/**
 * A checkpoint's weights apart from what one use of them adds (whisper.cpp's `whisper_context`
 * beside `whisper_state`):
 *
 *  - `WhisperWeights`: the loaded tensors, read once from disk and never changed or replaced;
 *  - `ModelState`: what a base / tuned / blended model puts on top of them for one use — tensors
 *    that stand in for some weights (a run's trainable variables, a merged or blended model), an
 *    adapter hook after each linear layer (LoRA at a scale) with its trainable factors and dropout
 *    seed. The decoder's KV cache is the per-decode part of the state and travels with each call.
 *
 * Base vs tuned is two states over one set of weights: the base is the empty state, so nothing
 * has to be swapped back, and no merge or blend can destroy the base.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperDims } from './config.ts';
import type { LinearHook, Weights } from './layers.ts';
import type { ReplayState } from './recompute.ts';
import { sinusoids } from './sinusoids.ts';

const TIED_OUTPUT = 'model.decoder.embed_tokens.weight';
const OUTPUT = 'proj_out.weight';

/** The loaded tensors under their Hugging Face names. Immutable: no setter, shared by every state. */
export class WhisperWeights {
  private readonly map: Map<string, tf.Tensor>;
  private freed = false;

  constructor(
    readonly dims: WhisperDims,
    tensors: Map<string, tf.Tensor>,
  ) {
    this.map = new Map(tensors);
    if (!this.map.has('model.encoder.embed_positions.weight')) {
      // Older exports omit the fixed sinusoids; they are a pure function of the dims.
      this.map.set('model.encoder.embed_positions.weight', tf.tensor2d(sinusoids(dims.nAudioCtx, dims.nAudioState), [dims.nAudioCtx, dims.nAudioState]));
    }
  }

  /** Uploads host arrays (as returned by loadCheckpoint). */
  static fromArrays(dims: WhisperDims, arrays: Map<string, { shape: number[]; data: Float32Array }>): WhisperWeights {
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, { shape, data }] of arrays) tensors.set(name, tf.tensor(data, shape, 'float32'));
    return new WhisperWeights(dims, tensors);
  }

  get(name: string): tf.Tensor {
    const t = this.map.get(name);
    if (!t) throw new Error(this.freed ? `the model's weights were freed (reading ${name})` : `weight ${name} is missing`);
    return t;
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  /** Every stored name (proj_out.weight only when the checkpoint unties it). */
  names(): string[] {
    return [...this.map.keys()];
  }

  entries(): IterableIterator<[string, tf.Tensor]> {
    return this.map.entries();
  }

  /** Frees the tensors. Every model view over them is unusable afterwards. */
  dispose(): void {
    for (const t of this.map.values()) t.dispose();
    this.map.clear();
    this.freed = true;
  }
}

/** What one use adds to the weights. Every field optional: `{}` is the base model. */
export interface ModelState {
  /** Tensors read instead of the weight of the same name (trainable variables, merged or blended weights). */
  readonly overrides?: ReadonlyMap<string, tf.Tensor>;
  /** Added to every linear layer's output (LoRA: scale·B·A·x); returns y unchanged for other modules. */
  readonly hook?: LinearHook;
  /** The hook's trainable tensors under a module-name prefix (LoRA factors), for recomputation. */
  readonly hookParams?: (prefix: string) => tf.Tensor[];
  /** The hook's random state (dropout seeds), replayed when a block is recomputed. */
  readonly replay?: ReplayState;
}

/** The base model: no overrides, no hook. */
export const BASE_STATE: ModelState = Object.freeze({});

/** The weights a forward pass reads under one state (layers.ts's `Weights`). */
export class StateWeights implements Weights {
  constructor(
    readonly base: WhisperWeights,
    readonly state: ModelState,
  ) {}

  get hook(): LinearHook | undefined {
    return this.state.hook;
  }

  get(name: string): tf.Tensor {
    return this.state.overrides?.get(name) ?? this.base.get(name);
  }

  has(name: string): boolean {
    return this.base.has(name) || (this.state.overrides?.has(name) ?? false);
  }

  /** Output projection: proj_out.weight when present, else the tied token embedding. */
  outputWeight(): tf.Tensor {
    return this.has(OUTPUT) ? this.get(OUTPUT) : this.get(TIED_OUTPUT);
  }

  /** Every tensor under its name as this state sees it (base names plus any override-only name). */
  tensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, t] of this.base.entries()) out.set(name, this.state.overrides?.get(name) ?? t);
    for (const [name, t] of this.state.overrides ?? []) if (!out.has(name)) out.set(name, t);
    return out;
  }

  /** Every trainable tensor a block under `prefix` reads: trained weights and adapter factors. */
  trainables(prefix: string): tf.Tensor[] {
    const out: tf.Tensor[] = [];
    for (const [name, t] of this.state.overrides ?? []) if (name.startsWith(prefix) && t instanceof tf.Variable && t.trainable) out.push(t);
    return out.concat(this.state.hookParams?.(prefix) ?? []);
  }
}
