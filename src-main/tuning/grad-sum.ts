/**
 * Gradient accumulation over micro-batches: each part's gradients weighted by its labelled tokens,
 * summed, then divided by the total weight — the same gradient as one pass over the whole batch
 * (tests/main/tuning/micro-batch.test.ts), with one part in memory at a time.
 */
import * as tf from '@tensorflow/tfjs-core';

export class GradientSum {
  private readonly sums = new Map<string, tf.Tensor>();
  /** Sum of the parts' weights (labelled tokens). */
  weight = 0;

  /** `keyOf` maps a tf.Variable's name (how variableGrads keys gradients) to its parameter key. */
  constructor(private readonly keyOf: (variableName: string) => string) {}

  /** Adds weight·g for every gradient of one part and frees the part's gradients. */
  add(grads: tf.NamedTensorMap, weight: number): void {
    for (const [name, g] of Object.entries(grads)) {
      const key = this.keyOf(name);
      const prev = this.sums.get(key);
      this.sums.set(key, tf.tidy(() => (prev ? tf.add(prev, tf.mul(g, weight)) : tf.mul(g, weight))));
      // Freed as soon as added in: holding every part's gradient to the end costs a model's size.
      prev?.dispose();
      g.dispose();
    }
    this.weight += weight;
  }

  /** The weighted mean per parameter key; the sums are freed (the caller owns the result). */
  mean(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [key, g] of this.sums) {
      out.set(key, tf.tidy(() => tf.div(g, this.weight)));
      g.dispose();
    }
    this.sums.clear();
    return out;
  }
}
