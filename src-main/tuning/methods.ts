/**
 * The tuning methods a user picks from, and what each one trains: chosen weights as tf.Variables
 * or a LoRA adapter, either way a state over the loaded weights that leaves them as they are.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperModel } from '../whisper/model.ts';
import type { ModelState } from '../whisper/weights.ts';
import { LoraAdapter } from './lora.ts';
// The methods, their config and defaults live in config.ts (tf-free); re-exported here.
import { DEFAULT_LR, DEFAULT_METHOD, METHODS, type Method, type MethodConfig } from './config.ts';
export { DEFAULT_LR, DEFAULT_METHOD, METHODS, type Method, type MethodConfig };

/** The encoder's fixed sinusoids never train (requires_grad=False upstream). */
const NEVER = new Set(['model.encoder.embed_positions.weight']);

/** Names of the model weights a method trains directly (LoRA trains none of them). */
export function trainableNames(model: WhisperModel, c: MethodConfig): string[] {
  const names = model.weights.names().filter((n) => !NEVER.has(n));
  switch (c.method) {
    case 'lora':
      return [];
    case 'full':
      return names;
    case 'layernorm':
      return names.filter((n) => /layer_norm\.(weight|bias)$/.test(n));
    case 'bias':
      return names.filter((n) => n.endsWith('.bias') && !/layer_norm/.test(n));
    case 'freeze': {
      const n = c.freezeEncoderLayers === 'all' ? Infinity : c.freezeEncoderLayers;
      return names.filter((name) => {
        if (!name.startsWith('model.encoder.')) return true;
        if (n === Infinity) return false;
        const m = /^model\.encoder\.layers\.(\d+)\./.exec(name);
        if (m) return Number(m[1]) >= n;
        // convs belong to the "early" end; the final LayerNorm to the late end.
        return name.startsWith('model.encoder.layer_norm') && n < model.dims.nAudioLayer;
      });
    }
  }
}

/**
 * What a run trains, as a state over the loaded weights (whisper/weights.ts): the chosen weights
 * as tf.Variables that stand in for them, or a LoRA adapter's hook. The loaded weights are never
 * replaced, so `base` (the empty state) is the base model at any time — for distillation targets,
 * L2-SP / EWC and the change report — and `tuned` is the model being trained. `params` keys are
 * stable names used in checkpoints: HF weight names, or "lora/<module>/A|B".
 */
export class TrainableSet {
  readonly params = new Map<string, tf.Variable>();
  lora: LoraAdapter | null = null;
  readonly encoderFrozen: boolean;
  /** The base model: the loaded weights under the empty state. */
  readonly base: WhisperModel;
  /** The model being trained: the same weights under this run's state. */
  readonly tuned: WhisperModel;

  constructor(
    model: WhisperModel,
    readonly config: MethodConfig,
    seed: number,
  ) {
    this.base = model.asBase();
    let state: ModelState;
    if (config.method === 'lora') {
      const lora = new LoraAdapter(config.lora, model.dims, seed);
      this.lora = lora;
      for (const [mod, pair] of lora.modules) {
        this.params.set(`lora/${mod}/A`, pair.A);
        this.params.set(`lora/${mod}/B`, pair.B);
      }
      state = {
        hook: lora.hook(),
        hookParams: (prefix) => lora.variablesUnder(prefix),
        replay: { get: () => lora.getDropoutSeed(), set: (s) => lora.setDropoutSeed(s) },
      };
    } else {
      const names = trainableNames(model, config);
      if (names.length === 0) throw new Error(`method ${config.method} selects no weights to train`);
      // A variable starts as a copy of its weight; the weight itself stays as loaded.
      for (const name of names) this.params.set(name, tf.variable(model.weights.get(name), true));
      state = { overrides: this.params };
    }
    this.tuned = model.withState(state);
    this.encoderFrozen = ![...this.params.keys()].some((k) => k.startsWith('model.encoder.') || k.startsWith('lora/model.encoder.'));
  }

  /** Whether AdamW's decoupled weight decay applies (not to biases, LayerNorms or LoRA B). */
  decays(name: string): boolean {
    return !(name.endsWith('.bias') || /layer_norm/.test(name) || name.endsWith('/B'));
  }

  /**
   * Effective weight changes θ − θ_base per weight name: variables minus base, or for LoRA the
   * low-rank ΔW = scaling·B·A of each adapted module ("<module>.weight").
   */
  deltas(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    if (this.lora) for (const mod of this.lora.modules.keys()) out.set(`${mod}.weight`, this.lora.delta(mod));
    else for (const [name, v] of this.params) out.set(name, tf.sub(v, this.base.weights.get(name)));
    return out;
  }

  /** Frees the run's own tensors (variables, adapter factors); the loaded weights are untouched. */
  dispose(): void {
    if (this.lora) this.lora.dispose();
    else for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
