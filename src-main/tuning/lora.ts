/**
 * LoRA adapters (Hu et al.; PEFT semantics, whisper-spec §6): for each targeted linear layer with
 * weight W [out, in], two trainable matrices A [r, in] and B [out, r]; the layer computes
 *   y = W·x + b + scaling · s · B·(A·dropout(x)),   scaling = alpha / r  (alpha / √r with rsLoRA)
 * where s is the run-time adapter scale (0 = base model, 1 = as trained). A starts uniform as
 * PyTorch's kaiming_uniform(a=√5) and B at zero, so step 0 is exactly the base model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperDims } from '../whisper/config.ts';
import type { LinearHook } from '../whisper/layers.ts';

// The config and its defaults live in config.ts (tf-free); re-exported for the adapter's users.
import { DEFAULT_LORA, type LoraConfig } from './config.ts';
export { DEFAULT_LORA, type LoraConfig };

export interface LoraPair {
  /** [r, in] */
  A: tf.Variable;
  /** [out, r] */
  B: tf.Variable;
}

/** Every linear module of a Whisper model with its [out, in] shape (HF names, no ".weight"). */
export function linearModules(d: WhisperDims): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  const add = (stack: 'encoder' | 'decoder', n: number, width: number, ffn: number, blocks: string[]) => {
    for (let i = 0; i < n; i++) {
      for (const b of blocks) for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) out.set(`model.${stack}.layers.${i}.${b}.${p}`, [width, width]);
      out.set(`model.${stack}.layers.${i}.fc1`, [ffn, width]);
      out.set(`model.${stack}.layers.${i}.fc2`, [width, ffn]);
    }
  };
  add('encoder', d.nAudioLayer, d.nAudioState, d.nAudioFfn, ['self_attn']);
  add('decoder', d.nTextLayer, d.nTextState, d.nTextFfn, ['self_attn', 'encoder_attn']);
  return out;
}

export function targetedModules(d: WhisperDims, c: LoraConfig): [string, [number, number]][] {
  return [...linearModules(d)].filter(
    ([name]) => c.stacks.some((s) => name.startsWith(`model.${s}.`)) && c.targetModules.some((t) => name === t || name.endsWith('.' + t)),
  );
}

export class LoraAdapter {
  readonly modules = new Map<string, LoraPair>();
  readonly scaling: number;
  /** Run-time blend: 0 = base, 1 = as trained. */
  runtimeScale = 1;
  /** Dropout is active only while training. */
  training = false;
  private dropoutSeed = 1;

  constructor(
    readonly config: LoraConfig,
    dims: WhisperDims,
    seed = 0,
  ) {
    if (!(Number.isInteger(config.rank) && config.rank >= 1)) throw new Error(`LoRA rank must be a positive integer, got ${config.rank}`);
    this.scaling = config.useRslora ? config.alpha / Math.sqrt(config.rank) : config.alpha / config.rank;
    const mods = targetedModules(dims, config);
    if (mods.length === 0) throw new Error(`LoRA targets ${config.targetModules.join(', ')} in ${config.stacks.join('+')} match no module`);
    mods.forEach(([name, [outDim, inDim]], i) => {
      // kaiming_uniform_(a=√5) on [r, in]: bound = √(6 / ((1 + 5)·fan_in)) = 1/√in.
      const bound = 1 / Math.sqrt(inDim);
      const a0 = tf.randomUniform([config.rank, inDim], -bound, bound, 'float32', seed * 1000 + i + 1);
      const b0 = tf.zeros([outDim, config.rank]);
      const A = tf.variable(a0, true);
      const B = tf.variable(b0, true);
      tf.dispose([a0, b0]); // the variables hold their own reference to the data
      this.modules.set(name, { A, B });
    });
  }

  variables(): tf.Variable[] {
    return [...this.modules.values()].flatMap((p) => [p.A, p.B]);
  }

  /** The factors of the modules whose names start with `prefix` (one block's, for recomputation). */
  variablesUnder(prefix: string): tf.Variable[] {
    return [...this.modules].filter(([name]) => name.startsWith(prefix)).flatMap(([, p]) => [p.A, p.B]);
  }

  /** The hook the model calls after each linear layer. */
  hook(): LinearHook {
    return (module, x, y) => {
      const pair = this.modules.get(module);
      const s = this.scaling * this.runtimeScale;
      if (!pair || s === 0) return y;
      return tf.tidy(() => {
        let xin = x;
        if (this.training && this.config.dropout > 0) xin = tf.dropout(x, this.config.dropout, undefined, this.dropoutSeed++) as tf.Tensor2D;
        const low = tf.matMul(xin, pair.A, false, true); // [N, r]
        return tf.add(y, tf.mul(tf.matMul(low, pair.B, false, true), s)) as tf.Tensor2D; // [N, out]
      });
    };
  }

  /** Effective weight change of one module: scaling · B·A [out, in] (the runtime scale excluded). */
  delta(module: string): tf.Tensor2D {
    const p = this.modules.get(module)!;
    return tf.tidy(() => tf.mul(tf.matMul(p.B, p.A), this.scaling) as tf.Tensor2D);
  }

  /** Re-seeds dropout so a resumed run draws the same masks as an uninterrupted one. */
  setDropoutSeed(seed: number): void {
    this.dropoutSeed = seed;
  }

  getDropoutSeed(): number {
    return this.dropoutSeed;
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
    this.modules.clear();
  }
}
