/**
 * The tuning methods a user picks from, and what each one trains. A method turns the model's
 * chosen weights into tf.Variables (keeping the base tensors for the regularisers and the change
 * report) or installs a LoRA adapter.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperModel } from '../whisper/model.ts';
import { LoraAdapter } from './lora.ts';
// The methods, their config and defaults live in config.ts (tf-free); re-exported here.
import { DEFAULT_LR, DEFAULT_METHOD, METHODS, type Method, type MethodConfig } from './config.ts';
export { DEFAULT_LR, DEFAULT_METHOD, METHODS, type Method, type MethodConfig };

/** The encoder's fixed sinusoids never train (requires_grad=False upstream). */
const NEVER = new Set(['model.encoder.embed_positions.weight']);

/** Names of the model weights a method trains directly (LoRA trains none of them). */
export function trainableNames(model: WhisperModel, c: MethodConfig): string[] {
  const names = [...model.weights.map.keys()].filter((n) => !NEVER.has(n));
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
 * What a run trains, installed on a model. `params` keys are stable names used in checkpoints:
 * HF weight names, or "lora/<module>/A|B".
 */
export class TrainableSet {
  readonly params = new Map<string, tf.Variable>();
  /** Base tensors of directly trained weights (for L2-SP / EWC / distillation / the change report). */
  readonly base = new Map<string, tf.Tensor>();
  lora: LoraAdapter | null = null;
  readonly encoderFrozen: boolean;

  constructor(
    readonly model: WhisperModel,
    readonly config: MethodConfig,
    seed: number,
  ) {
    if (config.method === 'lora') {
      this.lora = new LoraAdapter(config.lora, model.dims, seed);
      for (const [mod, pair] of this.lora.modules) {
        this.params.set(`lora/${mod}/A`, pair.A);
        this.params.set(`lora/${mod}/B`, pair.B);
      }
      model.weights.hook = this.lora.hook();
      const lora = this.lora;
      model.weights.hookParams = (prefix) => lora.variablesUnder(prefix);
      model.weights.replay = { get: () => lora.getDropoutSeed(), set: (s) => lora.setDropoutSeed(s) };
    } else {
      const names = trainableNames(model, config);
      if (names.length === 0) throw new Error(`method ${config.method} selects no weights to train`);
      for (const name of names) {
        const t = model.weights.map.get(name)!;
        this.base.set(name, t);
        const v = tf.variable(t, true);
        this.params.set(name, v);
        model.weights.map.set(name, v);
      }
    }
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
    else for (const [name, v] of this.params) out.set(name, tf.sub(v, this.base.get(name)!));
    return out;
  }

  /** Runs `fn` with the base model (adapter off / base tensors) — for distillation targets. */
  withBase<T>(fn: () => T): T {
    if (this.lora) {
      const s = this.lora.runtimeScale;
      this.lora.runtimeScale = 0;
      try {
        return fn();
      } finally {
        this.lora.runtimeScale = s;
      }
    }
    for (const [name, t] of this.base) this.model.weights.map.set(name, t);
    try {
      return fn();
    } finally {
      for (const [name, v] of this.params) this.model.weights.map.set(name, v);
    }
  }

  /** Removes the adapter / restores plain tensors; variables are disposed. Returns trained values. */
  dispose(): void {
    if (this.lora) {
      this.model.weights.hook = undefined;
      this.model.weights.hookParams = undefined;
      this.model.weights.replay = undefined;
      this.lora.dispose();
    } else {
      for (const [name, t] of this.base) this.model.weights.map.set(name, t);
      for (const v of this.params.values()) v.dispose();
    }
    this.params.clear();
  }
}
