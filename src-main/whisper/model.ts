/**
 * The Whisper encoder–decoder (openai/whisper model.py, Hugging Face names), with a KV cache.
 *
 * The weights are loaded once and never change (weights.ts); a base, tuned or blended model is a
 * view of them under a state (override tensors, an adapter hook). The math is the same for every
 * state (see layers.ts), and the KV cache, the per-decode state, is passed to each decode call.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperDims } from './config.ts';
import {
  attention,
  causalMask,
  conv1d,
  gelu,
  layerNorm,
  linear,
  mergeHeads,
  splitHeads,
} from './layers.ts';
import { recomputed, taping } from './recompute.ts';
import { BASE_STATE, StateWeights, WhisperWeights, type ModelState } from './weights.ts';

/** Per-layer cached keys/values, already split into heads: [B, H, S, K]. */
interface KV {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

/**
 * Decoder state across steps: self-attention keys/values grow by one position per token;
 * cross-attention keys/values are computed once per clip from the encoder output.
 */
export class KVCache {
  self: (KV | null)[];
  cross: (KV | null)[];
  /** Number of token positions already in the self-attention cache. */
  length = 0;

  constructor(nLayer: number) {
    this.self = new Array(nLayer).fill(null);
    this.cross = new Array(nLayer).fill(null);
  }

  /** Keeps rows `index` of every cached tensor (beam search reorders and duplicates beams). */
  reorder(index: number[]): void {
    const idx = tf.tensor1d(index, 'int32');
    const pick = (kv: KV | null): KV | null => {
      if (!kv) return null;
      const k = tf.keep(tf.gather(kv.k, idx)) as tf.Tensor4D;
      const v = tf.keep(tf.gather(kv.v, idx)) as tf.Tensor4D;
      kv.k.dispose();
      kv.v.dispose();
      return { k, v };
    };
    this.self = this.self.map(pick);
    this.cross = this.cross.map(pick);
    idx.dispose();
  }

  dispose(): void {
    for (const kv of [...this.self, ...this.cross]) {
      kv?.k.dispose();
      kv?.v.dispose();
    }
    this.self.fill(null);
    this.cross.fill(null);
    this.length = 0;
  }
}

/**
 * The decoder's cross-attention key and value projections of one encoder output, every layer,
 * under the BASE weights and before any adapter hook: [B·S, D] each. A base and a tuned forward on
 * the same audio (the trainer's distillation target and its training pass) compute them once: the
 * tuned state adds its hook on top, and a state that overrides those weights ignores them.
 */
export class CrossProjections {
  constructor(
    readonly weights: WhisperWeights,
    /** Encoder output shape [B, S, D] they were computed from. */
    readonly shape: readonly number[],
    readonly k: tf.Tensor2D[],
    readonly v: tf.Tensor2D[],
  ) {}

  dispose(): void {
    tf.dispose([...this.k, ...this.v]);
  }
}

export interface EncodeOptions {
  /**
   * Recompute each encoder block in the backward pass instead of keeping its activations
   * (recompute.ts). Only matters under a gradient tape; costs one more encoder forward.
   */
  recompute?: boolean;
}

/**
 * The model as one use sees it: the shared, immutable weights plus a state (weights.ts). Views are
 * cheap: `withState` makes another over the same tensors, so a base and a tuned model never hold
 * two copies of what they share.
 */
export class WhisperModel {
  readonly dims: WhisperDims;
  /** What the math reads: the weights seen through the state. */
  private readonly w: StateWeights;

  constructor(
    readonly weights: WhisperWeights,
    readonly state: ModelState = BASE_STATE,
  ) {
    this.dims = weights.dims;
    this.w = new StateWeights(weights, state);
  }

  /** Builds the weights from host arrays (as returned by loadCheckpoint); the base state. */
  static fromArrays(dims: WhisperDims, arrays: Map<string, { shape: number[]; data: Float32Array }>): WhisperModel {
    return new WhisperModel(WhisperWeights.fromArrays(dims, arrays));
  }

  /** The same weights under another state (no tensor is copied). */
  withState(state: ModelState): WhisperModel {
    return new WhisperModel(this.weights, state);
  }

  /** The same weights with the empty state: the base model. */
  asBase(): WhisperModel {
    return this.state === BASE_STATE ? this : new WhisperModel(this.weights, BASE_STATE);
  }

  /** Every tensor under its Hugging Face name as this state sees it (for export and the change report). */
  tensors(): Map<string, tf.Tensor> {
    return this.w.tensors();
  }

  /**
   * Audio encoder. mel [B, nMels, 2·nAudioCtx] → audio features [B, nAudioCtx, D].
   */
  encode(mel: tf.Tensor3D, opts: EncodeOptions = {}): tf.Tensor3D {
    const { nAudioCtx, nAudioHead, nAudioLayer } = this.dims;
    if (mel.shape[2] !== nAudioCtx * 2) {
      throw new Error(`encoder expects ${nAudioCtx * 2} mel frames, got ${mel.shape[2]}`);
    }
    const w = this.w;
    return tf.tidy(() => {
      let x = tf.transpose(mel, [0, 2, 1]) as tf.Tensor3D; // [B, frames, nMels]
      x = gelu(conv1d(w, 'model.encoder.conv1', x, 1)) as tf.Tensor3D;
      x = gelu(conv1d(w, 'model.encoder.conv2', x, 2)) as tf.Tensor3D;
      x = tf.add(x, w.get('model.encoder.embed_positions.weight')) as tf.Tensor3D;
      const recompute = opts.recompute === true && taping();
      for (let i = 0; i < nAudioLayer; i++) {
        const p = `model.encoder.layers.${i}`;
        const block = (y: tf.Tensor3D): tf.Tensor3D => {
          const h = layerNorm(w, `${p}.self_attn_layer_norm`, y);
          const z = tf.add(y, this.attend(`${p}.self_attn`, h, h, nAudioHead)) as tf.Tensor3D;
          return tf.add(z, this.mlp(p, z)) as tf.Tensor3D;
        };
        x = recompute ? recomputed(block, x, w.trainables(`${p}.`), this.state.replay) : block(x);
      }
      return layerNorm(w, 'model.encoder.layer_norm', x) as tf.Tensor3D;
    });
  }

  /** Full (uncached) self/cross attention block body: returns out_proj(attn(q(x), k(src), v(src))). */
  private attend(prefix: string, x: tf.Tensor, src: tf.Tensor, nHead: number, mask?: tf.Tensor): tf.Tensor {
    const w = this.w;
    return tf.tidy(() => {
      const q = splitHeads(linear(w, `${prefix}.q_proj`, x), nHead);
      const k = splitHeads(linear(w, `${prefix}.k_proj`, src), nHead);
      const v = splitHeads(linear(w, `${prefix}.v_proj`, src), nHead);
      return linear(w, `${prefix}.out_proj`, mergeHeads(attention(q, k, v, mask)));
    });
  }

  private mlp(prefix: string, x: tf.Tensor): tf.Tensor {
    const w = this.w;
    return tf.tidy(() => {
      const h = layerNorm(w, `${prefix}.final_layer_norm`, x);
      return linear(w, `${prefix}.fc2`, gelu(linear(w, `${prefix}.fc1`, h)));
    });
  }

  /**
   * Decoder over whole sequences, no cache (training and teacher forcing).
   * tokens [B, T] int32, audio [B, S, D] → logits [B, T, V]. `cross`: the audio's cross-attention
   * projections computed beforehand (crossProjections), used where this state allows.
   */
  decodeFull(tokens: tf.Tensor2D, audio: tf.Tensor3D, cross?: CrossProjections): tf.Tensor3D {
    return tf.tidy(() => this.logits(this.decoderHidden(tokens, audio, null, cross)));
  }

  /** Cross-attention K/V projections of `audio` [B, S, D] under the base weights (see CrossProjections). */
  crossProjections(audio: tf.Tensor3D): CrossProjections {
    const base = new StateWeights(this.weights, BASE_STATE);
    const k: tf.Tensor2D[] = [];
    const v: tf.Tensor2D[] = [];
    tf.tidy(() => {
      const a2 = tf.reshape(audio, [-1, audio.shape[2]]);
      for (let i = 0; i < this.dims.nTextLayer; i++) {
        const p = `model.decoder.layers.${i}.encoder_attn`;
        k.push(tf.keep(linear(base, `${p}.k_proj`, a2) as tf.Tensor2D));
        v.push(tf.keep(linear(base, `${p}.v_proj`, a2) as tf.Tensor2D));
      }
    });
    return new CrossProjections(this.weights, audio.shape, k, v);
  }

  /** Whether precomputed base projections stand for this state's cross-attention K/V in `layer`. */
  private crossUsable(cross: CrossProjections | undefined, audio: tf.Tensor3D, layer: number): cross is CrossProjections {
    if (!cross || cross.weights !== this.weights || cross.shape.some((d, i) => d !== audio.shape[i])) return false;
    const o = this.state.overrides;
    if (!o) return true;
    const p = `model.decoder.layers.${layer}.encoder_attn`;
    return ![`${p}.k_proj.weight`, `${p}.v_proj.weight`, `${p}.v_proj.bias`].some((n) => o.has(n));
  }

  /**
   * One incremental decoder pass with the cache: feeds `tokens` [B, T] that follow the cached
   * positions, updates the cache in place, and returns logits for the LAST position only [B, V].
   * On the first call, pass the encoder output; cross keys/values are computed once and kept.
   */
  decodeStep(tokens: tf.Tensor2D, audio: tf.Tensor3D, cache: KVCache): tf.Tensor2D {
    return tf.tidy(() => {
      const h = this.decoderHidden(tokens, audio, cache);
      const [b, t, d] = h.shape;
      const last = tf.slice(h, [0, t - 1, 0], [b, 1, d]);
      return tf.reshape(this.logits(last), [b, -1]) as tf.Tensor2D;
    });
  }

  /** Like decodeStep but returns logits for every fed position [B, T, V] (used for the no-speech probability at the SOT position). */
  decodeStepAll(tokens: tf.Tensor2D, audio: tf.Tensor3D, cache: KVCache): tf.Tensor3D {
    return tf.tidy(() => this.logits(this.decoderHidden(tokens, audio, cache)));
  }

  /** hidden [B, T, D] → logits [B, T, V] through the (tied) output projection. */
  logits(hidden: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t, d] = hidden.shape;
      const out = tf.matMul(tf.reshape(hidden, [b * t, d]) as tf.Tensor2D, this.w.outputWeight() as tf.Tensor2D, false, true);
      return tf.reshape(out, [b, t, -1]) as tf.Tensor3D;
    });
  }

  /** Decoder stack up to and including the final LayerNorm. Returns [B, T, D]. */
  decoderHidden(tokens: tf.Tensor2D, audio: tf.Tensor3D, cache: KVCache | null, cross?: CrossProjections): tf.Tensor3D {
    const { nTextHead, nTextLayer, nTextCtx } = this.dims;
    const w = this.w;
    const [, t] = tokens.shape;
    const offset = cache?.length ?? 0;
    if (offset + t > nTextCtx) throw new Error(`decoder context is ${nTextCtx} tokens; got ${offset + t}`);
    const x0 = tf.tidy(() => {
      const emb = tf.gather(w.get('model.decoder.embed_tokens.weight'), tokens);
      const pos = tf.slice(w.get('model.decoder.embed_positions.weight'), [offset, 0], [t, -1]);
      return tf.add(emb, pos) as tf.Tensor3D;
    });
    const mask = causalMask(t, offset);
    let x = x0;
    for (let i = 0; i < nTextLayer; i++) {
      const p = `model.decoder.layers.${i}`;
      const next = tf.tidy(() => {
        let y = x;
        const h = layerNorm(w, `${p}.self_attn_layer_norm`, y);
        y = tf.add(y, this.selfAttend(`${p}.self_attn`, h, nTextHead, mask, cache, i)) as tf.Tensor3D;
        const hc = layerNorm(w, `${p}.encoder_attn_layer_norm`, y);
        y = tf.add(y, this.crossAttend(`${p}.encoder_attn`, hc, audio, nTextHead, cache, i, cross)) as tf.Tensor3D;
        return tf.add(y, this.mlp(p, y)) as tf.Tensor3D;
      });
      if (x !== x0) x.dispose();
      x = next;
    }
    x0.dispose();
    mask?.dispose();
    if (cache) cache.length = offset + t;
    const out = layerNorm(w, 'model.decoder.layer_norm', x) as tf.Tensor3D;
    x.dispose();
    return out;
  }

  private selfAttend(prefix: string, x: tf.Tensor, nHead: number, mask: tf.Tensor | undefined, cache: KVCache | null, layer: number): tf.Tensor {
    const w = this.w;
    if (!cache) return this.attend(prefix, x, x, nHead, mask);
    const q = splitHeads(linear(w, `${prefix}.q_proj`, x), nHead);
    let k = splitHeads(linear(w, `${prefix}.k_proj`, x), nHead);
    let v = splitHeads(linear(w, `${prefix}.v_proj`, x), nHead);
    const prev = cache.self[layer];
    if (prev) {
      k = tf.concat([prev.k, k], 2);
      v = tf.concat([prev.v, v], 2);
      prev.k.dispose();
      prev.v.dispose();
    }
    cache.self[layer] = { k: tf.keep(k), v: tf.keep(v) };
    return linear(w, `${prefix}.out_proj`, mergeHeads(attention(q, k, v, mask)));
  }

  private crossAttend(prefix: string, x: tf.Tensor, audio: tf.Tensor3D, nHead: number, cache: KVCache | null, layer: number, cross?: CrossProjections): tf.Tensor {
    const w = this.w;
    if (!cache && this.crossUsable(cross, audio, layer)) {
      const [b, s, d] = audio.shape;
      const a2 = tf.reshape(audio, [-1, d]) as tf.Tensor2D;
      // The state's hook (a LoRA on v_proj) goes on top of the shared base projection.
      const hooked = (module: string, y: tf.Tensor2D) => splitHeads(tf.reshape(w.hook ? w.hook(module, a2, y) : y, [b, s, d]), nHead);
      const q = splitHeads(linear(w, `${prefix}.q_proj`, x), nHead);
      const k = hooked(`${prefix}.k_proj`, cross.k[layer]);
      const v = hooked(`${prefix}.v_proj`, cross.v[layer]);
      return linear(w, `${prefix}.out_proj`, mergeHeads(attention(q, k, v)));
    }
    if (!cache) return this.attend(prefix, x, audio, nHead);
    let kv = cache.cross[layer];
    if (!kv) {
      kv = {
        k: tf.keep(splitHeads(linear(w, `${prefix}.k_proj`, audio), nHead)),
        v: tf.keep(splitHeads(linear(w, `${prefix}.v_proj`, audio), nHead)),
      };
      cache.cross[layer] = kv;
    }
    const q = splitHeads(linear(w, `${prefix}.q_proj`, x), nHead);
    return linear(w, `${prefix}.out_proj`, mergeHeads(attention(q, kv.k, kv.v)));
  }

  /**
   * Frees the weights, which every view over them shares (whoever loaded them calls this). A
   * state's own tensors belong to whoever made the state.
   */
  dispose(): void {
    this.weights.dispose();
  }
}
