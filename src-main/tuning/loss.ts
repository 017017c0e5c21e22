/**
 * Training targets in the Hugging Face convention (whisper-spec §9): the decoder reads
 * [SOT sequence…, text…] and predicts that sequence shifted left, ending with <|endoftext|>;
 * padding positions carry the label −100 and do not count.
 */
import * as tf from '@tensorflow/tfjs-core';

export const IGNORE_INDEX = -100;

export interface Batch {
  /** [B, T] int32 decoder inputs, padded with EOT. */
  inputs: tf.Tensor2D;
  /** [B, T] int32 labels, −100 where padded. */
  labels: tf.Tensor2D;
  /** Number of labelled positions. */
  count: number;
}

/** Host form of one example: the decoder input and its labels (same length). */
export interface Example {
  inputs: number[];
  labels: number[];
}

/** prefix = SOT sequence (incl. <|notimestamps|>); text = transcript tokens. */
export function makeExample(prefix: number[], text: number[], eot: number, maxLen: number): Example {
  const seq = [...prefix, ...text];
  if (seq.length > maxLen) throw Object.assign(new Error(`a transcript is ${seq.length} tokens with its prefix; Whisper reads at most ${maxLen}`), { code: 'TRANSCRIPT_TOO_LONG' });
  return { inputs: seq, labels: [...seq.slice(1), eot] };
}

/** Pads examples to a common length: inputs with `pad`, labels with −100. */
export function collate(examples: Example[], pad: number): Batch {
  const t = Math.max(...examples.map((e) => e.inputs.length));
  const inputs = new Int32Array(examples.length * t).fill(pad);
  const labels = new Int32Array(examples.length * t).fill(IGNORE_INDEX);
  let count = 0;
  examples.forEach((e, b) => {
    inputs.set(e.inputs, b * t);
    labels.set(e.labels, b * t);
    count += e.labels.filter((l) => l !== IGNORE_INDEX).length;
  });
  return { inputs: tf.tensor2d(inputs, [examples.length, t], 'int32'), labels: tf.tensor2d(labels, [examples.length, t], 'int32'), count };
}

/** Boolean-as-float mask [B, T] of labelled positions, and labels with −100 replaced by 0. */
export function labelMask(labels: tf.Tensor2D): { mask: tf.Tensor2D; safe: tf.Tensor2D } {
  return tf.tidy(() => {
    const valid = tf.notEqual(labels, IGNORE_INDEX);
    return { mask: tf.cast(valid, 'float32') as tf.Tensor2D, safe: tf.where(valid, labels, tf.zerosLike(labels)) as tf.Tensor2D };
  });
}

/**
 * Mean negative log-likelihood of the labels over labelled positions. logp [B, T, V] (log-softmax
 * output), labels [B, T] → scalar. Picks the label's log-prob with a one-hot product, which
 * differentiates on every backend.
 */
export function maskedNll(logp: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { mask, safe } = labelMask(labels);
    const picked = tf.sum(tf.mul(logp, tf.oneHot(safe, logp.shape[2])), -1); // [B, T]
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/** Mean cross-entropy over labelled positions. logits [B, T, V], labels [B, T] → scalar. */
export function maskedCrossEntropy(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => maskedNll(tf.logSoftmax(logits, -1) as tf.Tensor3D, labels));
}

/**
 * The base model's next-token distributions as distillation targets [B, T, V]: log-probabilities
 * and probabilities, computed once and outside the gradient tape (they carry no gradient, so the
 * tape need not record the softmax over the vocabulary a second time).
 */
export type DistillTarget = {
  logp: tf.Tensor3D;
  p: tf.Tensor3D;
};

export function distillTarget(baseLogits: tf.Tensor3D): DistillTarget {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(baseLogits, -1) as tf.Tensor3D;
    return { logp, p: tf.exp(logp) as tf.Tensor3D };
  });
}

/**
 * Distillation term from log-probabilities: mean over labelled positions of KL(p_base ‖ p_tuned).
 * lpTuned [B, T, V] is the tuned model's log-softmax (shared with the cross-entropy).
 */
export function klToTarget(target: DistillTarget, lpTuned: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { mask } = labelMask(labels);
    const kl = tf.sum(tf.mul(target.p, tf.sub(target.logp, lpTuned)), -1); // [B, T]
    return tf.div(tf.sum(tf.mul(kl, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/**
 * Distillation term: mean over labelled positions of KL(p_base ‖ p_tuned) on the next-token
 * distributions. baseLogits carry no gradient.
 */
export function distillKl(tunedLogits: tf.Tensor3D, baseLogits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const target = distillTarget(baseLogits);
    return klToTarget(target, tf.logSoftmax(tunedLogits, -1) as tf.Tensor3D, labels);
  });
}
