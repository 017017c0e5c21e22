/**
 * AdamW (Loshchilov & Hutter; torch.optim.AdamW defaults) with gradient clipping by global norm.
 * Written out rather than tf.train.adam because (a) weight decay must be decoupled, and (b) the
 * moments must be saved and restored exactly for crash-resume.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_WEIGHT_DECAY } from './config.ts';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: DEFAULT_WEIGHT_DECAY };

export class AdamW {
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(
    readonly params: Map<string, tf.Variable>,
    readonly config: AdamWConfig = DEFAULT_ADAMW,
  ) {
    for (const [name, p] of params) {
      for (const store of [this.m, this.v]) {
        const z = tf.zerosLike(p);
        store.set(name, tf.variable(z, false));
        z.dispose();
      }
    }
  }

  /** Global L2 norm of the gradients (before clipping). */
  static async globalNorm(grads: Map<string, tf.Tensor>): Promise<number> {
    // Pairwise adds, not tf.addN: WebGPU's AddN binds one buffer per input and Dawn allows 8.
    const sq = tf.tidy(() => [...grads.values()].map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)));
    const v = (await sq.data())[0];
    sq.dispose();
    return Math.sqrt(v);
  }

  /**
   * Applies one update. Gradients are scaled by min(1, maxNorm / ‖g‖) first. Returns ‖g‖.
   * `decay(name)` says whether weight decay applies (not to biases and LayerNorms, as is usual).
   */
  async apply(grads: Map<string, tf.Tensor>, lr: number, maxNorm: number, decay: (name: string) => boolean): Promise<number> {
    const norm = await AdamW.globalNorm(grads);
    const clip = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
    this.step += 1;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g0 = grads.get(name);
        if (!g0) continue;
        const g = clip === 1 ? g0 : tf.mul(g0, clip);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        let next: tf.Tensor = p;
        if (weightDecay > 0 && decay(name)) next = tf.mul(next, 1 - lr * weightDecay);
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        p.assign(tf.sub(next, tf.mul(update, lr)));
      }
    });
    return norm;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
