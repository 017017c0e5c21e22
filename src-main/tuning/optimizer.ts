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
    // One gradient at a time: each g² is freed before the next is made (in one tidy they would all
    // be alive at once, a whole model's worth of temporaries). Same sums in the same order.
    let sq: tf.Tensor | null = null;
    for (const g of grads.values()) {
      const prev: tf.Tensor | null = sq;
      sq = tf.tidy(() => {
        const s = tf.sum(tf.square(g));
        return prev ? tf.add(prev, s) : s;
      });
      prev?.dispose();
    }
    if (!sq) return 0;
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
    // WHY one parameter at a time, each temporary freed as soon as it is used: in one tf.tidy over
    // all parameters, every parameter's ~12 temporaries (m·β1, g·(1−β1), g², v·β2, √v̂, …) stay
    // alive until the tidy ends, i.e. ~12× the model's size on top of weights, moments and
    // gradients (at whisper-tiny 1.7 GB for 142 MB of weights; at base it exhausted the 4 GB wasm
    // heap, which never shrinks). Now the temporaries are bounded by ~4× the largest parameter.
    // The arithmetic is the same ops in the same order, so the result is bit-identical.
    for (const [name, p] of this.params) {
      const g0 = grads.get(name);
      if (!g0) continue;
      tf.tidy(() => {
        const g = clip === 1 ? g0 : tf.mul(g0, clip);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(both(tf.mul(m, beta1), tf.mul(g, 1 - beta1), tf.add));
        v.assign(both(tf.mul(v, beta2), chain(g, tf.square, (t) => tf.mul(t, 1 - beta2)), tf.add));
        if (g !== g0) g.dispose();
        const denom = chain(v, (t) => tf.div(t, bc2), tf.sqrt, (t) => tf.add(t, eps));
        const update = both(tf.div(m, bc1), denom, tf.div);
        const step = tf.mul(update, lr);
        update.dispose();
        const next = weightDecay > 0 && decay(name) ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(both(next, step, tf.sub));
      });
    }
    return norm;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** f(a, b), then a and b are freed (a variable, e.g. the parameter itself, is kept). */
function both(a: tf.Tensor, b: tf.Tensor, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): tf.Tensor {
  const out = f(a, b);
  for (const t of [a, b]) if (!(t instanceof tf.Variable)) t.dispose();
  return out;
}

/** fn(…f1(x)), freeing each intermediate as soon as the next exists (x itself is kept). */
function chain(x: tf.Tensor, ...fs: ((t: tf.Tensor) => tf.Tensor)[]): tf.Tensor {
  let t = x;
  for (const f of fs) {
    const next = f(t);
    if (t !== x) t.dispose();
    t = next;
  }
  return t;
}
