/**
 * Regularisers against forgetting, each a scalar added to the loss with a weight:
 * - L2-SP: Σ (θ − θ_base)² over what the run changes (for LoRA, the effective ΔW = scaling·B·A);
 * - EWC: Σ F ⊙ (θ − θ_base)², F the diagonal Fisher of the base model on the training data;
 * - distillation: KL(p_base ‖ p_tuned) per labelled position (computed in the trainer, which has
 *   the base logits; with LoRA the base is the same weights with the adapter off).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperModel } from '../whisper/model.ts';
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
 * the adapted modules' ".weight"). `lossOf(model, i)` computes batch i's loss with `model`: the
 * base weights with temporary variables standing in for the named ones (a state; nothing loaded
 * is replaced), freed before this returns.
 */
export function estimateFisher(
  base: WhisperModel,
  weightNames: string[],
  nBatches: number,
  lossOf: (model: WhisperModel, i: number) => tf.Scalar,
): Map<string, tf.Tensor> {
  const temps = new Map<string, tf.Variable>(weightNames.map((n) => [n, tf.variable(base.weights.get(n), true)]));
  const model = base.withState({ overrides: temps });
  const acc = new Map<string, tf.Tensor>(weightNames.map((n) => [n, tf.zerosLike(base.weights.get(n))]));
  try {
    for (let i = 0; i < nBatches; i++) {
      const { value, grads } = tf.variableGrads(() => lossOf(model, i), [...temps.values()]);
      for (const [n, v] of temps) {
        const prev = acc.get(n)!;
        acc.set(n, tf.tidy(() => tf.add(prev, tf.div(tf.square(grads[v.name]), nBatches))));
        prev.dispose();
      }
      tf.dispose([value, ...Object.values(grads)]);
    }
  } finally {
    for (const v of temps.values()) v.dispose();
  }
  return acc;
}
