/**
 * Whisper's building blocks as pure tfjs functions over named weights (Hugging Face tensor names).
 *
 * Every function takes a `Weights` context so the same code serves inference (plain tensors), training
 * (tf.Variables) and LoRA (a hook that adds scale·B·A·x to chosen projections). Shapes use
 * B = batch, T = query length, S = key length, D = model width, H = heads, K = head dim (D / H).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Adds an adapter's contribution to a linear layer's output (LoRA). `x` is [N, in], `y` is [N, out]. */
export type LinearHook = (module: string, x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D;

export interface Weights {
  /** Returns the tensor stored under a Hugging Face name; throws if absent. */
  get(name: string): tf.Tensor;
  has(name: string): boolean;
  /** Optional adapter hook applied after every linear layer. */
  hook?: LinearHook;
}

/** LayerNorm over the last axis, eps = 1e-5 as in torch. x [..., D] → [..., D]. */
export function layerNorm(w: Weights, prefix: string, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const norm = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(norm, w.get(`${prefix}.weight`)), w.get(`${prefix}.bias`));
  });
}

/**
 * y = x·Wᵀ + b, with W stored [out, in] as in PyTorch. x [..., in] → [..., out].
 * The bias is optional (Whisper's key projections have none).
 */
export function linear(w: Weights, module: string, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const weight = w.get(`${module}.weight`) as tf.Tensor2D;
    const inDim = x.shape[x.shape.length - 1];
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
    const biasName = `${module}.bias`;
    const bias = w.has(biasName) ? w.get(biasName) : undefined;
    // Not tf.fused.matMul: tfjs-backend-wasm 4.22's _FusedMatMul adds the bias wrongly when
    // transposeB is set (max error 3.5 on random data; tests/main/whisper/backends.test.ts).
    let y: tf.Tensor2D = tf.matMul(x2, weight, false, true);
    if (bias) y = tf.add(y, bias) as tf.Tensor2D;
    if (w.hook) y = w.hook(module, x2, y);
    return tf.reshape(y, [...lead, weight.shape[0]]);
  });
}

/** Exact (erf) GELU, as torch's default. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** [B, T, D] → [B, H, T, K] */
export function splitHeads(x: tf.Tensor, nHead: number): tf.Tensor4D {
  const [b, t, d] = x.shape;
  return tf.transpose(tf.reshape(x, [b, t, nHead, d / nHead]), [0, 2, 1, 3]);
}

/** [B, H, T, K] → [B, T, D] */
export function mergeHeads(x: tf.Tensor): tf.Tensor3D {
  const [b, h, t, k] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, h * k]);
}

/**
 * Scaled dot-product attention. q [B,H,T,K], k/v [B,H,S,K], mask [T,S] additive (0 or −inf-like)
 * or undefined. Softmax in float32 as upstream. Returns [B,H,T,K].
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask?: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    // Scale q ([T, K] per head) rather than the scores ([T, S]): the same product, one pass over
    // 64× fewer elements in the encoder (1500 × 64 instead of 1500 × 1500 per head).
    const scale = 1 / Math.sqrt(q.shape[3]);
    let scores = tf.matMul(tf.mul(q, scale), k, false, true);
    if (mask) scores = tf.add(scores, mask);
    return tf.matMul(tf.softmax(scores, -1), v) as tf.Tensor4D;
  });
}

/** Large negative instead of −inf: −inf·0 would give NaN in gradients. HF uses finfo.min likewise. */
export const MASK_VALUE = -1e9;

/**
 * Causal mask for `t` new queries that follow `offset` cached positions: query i may see keys
 * 0 … offset+i. Returns [t, offset+t] or undefined when t = 1 (a single query sees everything).
 */
export function causalMask(t: number, offset: number): tf.Tensor2D | undefined {
  if (t === 1) return undefined;
  const s = offset + t;
  const data = new Float32Array(t * s);
  for (let i = 0; i < t; i++) for (let j = offset + i + 1; j < s; j++) data[i * s + j] = MASK_VALUE;
  return tf.tensor2d(data, [t, s]);
}

/**
 * Conv1d with PyTorch weights [out, in, k], padding 1, given stride. x [B, W, in] → [B, W', out].
 */
export function conv1d(w: Weights, prefix: string, x: tf.Tensor3D, stride: number): tf.Tensor3D {
  return tf.tidy(() => {
    const filter = tf.transpose(w.get(`${prefix}.weight`), [2, 1, 0]) as tf.Tensor3D; // [k, in, out]
    const padded = tf.pad(x, [[0, 0], [1, 1], [0, 0]]);
    const y = tf.conv1d(padded, filter, stride, 'valid');
    return tf.add(y, w.get(`${prefix}.bias`)) as tf.Tensor3D;
  });
}

export { sinusoids } from './sinusoids.ts';
