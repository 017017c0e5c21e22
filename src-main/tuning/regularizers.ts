/**
 * Regularisers against forgetting, each a scalar added to the loss with a weight:
 * - L2-SP: Σ (θ − θ_base)² over what the run changes (for LoRA, the effective ΔW = scaling·B·A);
 * - EWC: Σ F ⊙ (θ − θ_base)², F the diagonal Fisher of the base model on the training data;
 * - distillation: KL(p_base ‖ p_tuned) per labelled position (computed in the trainer, which has
 *   the base logits; with LoRA the base is the same weights with the adapter off).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainableSet } from './methods.ts';
import { REGULARIZERS, type Regularizer } from './config.ts';
export { REGULARIZERS, type Regularizer };

/** Σ‖Δ‖² over the run's effective weight changes. */
export function l2sp(set: TrainableSet): tf.Scalar {
  return tf.tidy(() => {
    const d = [...set.deltas().values()];
    // Pairwise adds, not tf.addN (WebGPU's AddN is limited to 8 inputs).
    return d.map((t) => tf.sum(tf.square(t))).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
  });
}

/** Σ F ⊙ Δ². `fisher` is keyed like set.deltas() (weight names). */
export function ewcPenalty(set: TrainableSet, fisher: Map<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const terms: tf.Tensor[] = [];
    for (const [name, d] of set.deltas()) {
      const f = fisher.get(name);
      if (f) terms.push(tf.sum(tf.mul(f, tf.square(d))));
    }
    return (terms.length ? terms.reduce((a, b) => tf.add(a, b)) : tf.scalar(0)) as tf.Scalar;
  });
}

/**
 * Diagonal (empirical) Fisher of the base model: the mean over batches of the squared gradient of
 * the loss with respect to each weight the run will change. `weightNames` are HF names (for LoRA:
 * the adapted modules' ".weight"). `lossOf(i)` computes batch i's loss from the current weights.
 * The base weights are wrapped in temporary variables only for this computation.
 */
export function estimateFisher(
  weights: Map<string, tf.Tensor>,
  weightNames: string[],
  nBatches: number,
  lossOf: (i: number) => tf.Scalar,
): Map<string, tf.Tensor> {
  const temps = new Map<string, tf.Variable>();
  const originals = new Map<string, tf.Tensor>();
  for (const n of weightNames) {
    const t = weights.get(n)!;
    originals.set(n, t);
    const v = tf.variable(t, true);
    temps.set(n, v);
    weights.set(n, v);
  }
  const acc = new Map<string, tf.Tensor>(weightNames.map((n) => [n, tf.zerosLike(originals.get(n)!)]));
  try {
    for (let i = 0; i < nBatches; i++) {
      const vars = [...temps.values()];
      const { value, grads } = tf.variableGrads(() => lossOf(i), vars);
      for (const [n, v] of temps) {
        const prev = acc.get(n)!;
        acc.set(n, tf.tidy(() => tf.add(prev, tf.div(tf.square(grads[v.name]), nBatches))));
        prev.dispose();
      }
      tf.dispose([value, ...Object.values(grads)]);
    }
  } finally {
    for (const [n, t] of originals) weights.set(n, t);
    for (const v of temps.values()) v.dispose();
  }
  return acc;
}
