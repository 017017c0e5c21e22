/**
 * Clip → encoder input (and, with a frozen encoder, encoder output) for training. With a frozen
 * encoder its output is computed once per (clip, augmentation variant) and kept on the host, so a
 * decoder-only step never runs the encoder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HOP_LENGTH, N_FRAMES } from '../audio/constants.ts';
import { logMelSpectrogram, padOrTrim } from '../audio/mel.ts';
import type { WhisperModel } from '../whisper/model.ts';
import type { WhisperDims } from '../whisper/config.ts';
import { augmentWave, specAugment, type AugmentConfig } from './augment.ts';
import { seedOf } from '../util/random.ts';
import { etaOrNull } from '../util/time.ts';
import type { Clip } from './dataset.ts';

/** Log-mel [nMels, 3000] of one clip in one augmentation variant (0 = clean). */
export function clipMel(clip: Clip, nMels: number, aug: AugmentConfig, variant: number, seed: number): Float32Array {
  let wave = clip.samples;
  if (variant > 0) wave = augmentWave(wave, aug, seedOf(seed, clip.id, variant, 'wave'));
  const mel = logMelSpectrogram(padOrTrim(wave), nMels);
  if (variant > 0 && aug.specAugment) {
    const content = Math.min(N_FRAMES, Math.ceil(wave.length / HOP_LENGTH));
    specAugment(mel.data, nMels, N_FRAMES, content, seedOf(seed, clip.id, variant, 'spec'));
  }
  return mel.data;
}

/** Clips per encoder call when the cache is filled ahead of training (one larger product per layer). */
export const ENCODER_BATCH = 4;

/** Cache key of one clip in one augmentation variant. */
const keyOf = (clip: Clip, variant: number) => `${clip.id}#${variant}`;

export class FeatureCache {
  private readonly encoded = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;
  /** Seconds spent computing log-mels and in the encoder (the run's stage breakdown). */
  melSec = 0;
  encodeSec = 0;

  constructor(
    private readonly dims: WhisperDims,
    private readonly aug: AugmentConfig,
    private readonly seed: number,
    /** False while the encoder trains: its output then changes every step and is never cached. */
    private readonly frozen = true,
  ) {}

  /**
   * Encoder output for a clip variant [S·D] on the host under `model` (whose encoder runs on a
   * miss), computed at most once. With a frozen encoder every state's encoder is the base one, so
   * the cache serves the base and the tuned model alike.
   */
  async encoderOutput(model: WhisperModel, clip: Clip, variant: number): Promise<Float32Array> {
    const hit = this.frozen ? this.encoded.get(keyOf(clip, variant)) : undefined;
    if (hit) {
      this.hits++;
      return hit;
    }
    return (await this.encodeMany(model, [{ clip, variant }]))[0];
  }

  /**
   * Fills the cache ahead of training with every (clip, variant) the run will use, `batch` clips
   * per encoder call, reporting progress with an ETA. Stops early (without error) when `signal`
   * aborts; what was encoded stays cached. Only for a frozen encoder.
   */
  async precompute(
    model: WhisperModel,
    items: { clip: Clip; variant: number }[],
    o: { batch?: number; signal?: AbortSignal; onProgress?: (done: number, total: number, etaSec: number | null) => void } = {},
  ): Promise<void> {
    if (!this.frozen) return;
    const todo = items.filter((it) => !this.encoded.has(keyOf(it.clip, it.variant)));
    const batch = Math.max(1, o.batch ?? ENCODER_BATCH);
    const t0 = performance.now();
    o.onProgress?.(0, todo.length, null);
    for (let i = 0; i < todo.length; i += batch) {
      if (o.signal?.aborted) return;
      await this.encodeMany(model, todo.slice(i, i + batch));
      const done = Math.min(todo.length, i + batch);
      o.onProgress?.(done, todo.length, etaOrNull(done, todo.length, (performance.now() - t0) / 1000));
      // One event-loop turn per batch: a cancel message is seen between batches.
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Log-mels and one encoder call for `items` as a batch; each output [S·D] is returned and, with a
   * frozen encoder, cached. Counts misses and the mel / encoder seconds.
   */
  private async encodeMany(model: WhisperModel, items: { clip: Clip; variant: number }[]): Promise<Float32Array[]> {
    const { nMels, nAudioCtx, nAudioState } = this.dims;
    const per = nAudioCtx * nAudioState;
    let t = performance.now();
    const mels = new Float32Array(items.length * nMels * N_FRAMES);
    items.forEach((it, j) => mels.set(clipMel(it.clip, nMels, this.aug, it.variant, this.seed), j * nMels * N_FRAMES));
    this.melSec += (performance.now() - t) / 1000;
    t = performance.now();
    const out = tf.tidy(() => model.encode(tf.tensor3d(mels, [items.length, nMels, N_FRAMES])));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    this.encodeSec += (performance.now() - t) / 1000;
    this.misses += items.length;
    return items.map((it, j) => {
      const one = items.length === 1 ? data : data.slice(j * per, (j + 1) * per);
      if (this.frozen) this.encoded.set(keyOf(it.clip, it.variant), one);
      return one;
    });
  }

  /** Encoder outputs under `model` (cached where the encoder is frozen), stacked into [B, S, D]. */
  async audioBatch(model: WhisperModel, clips: Clip[], variants: number[]): Promise<tf.Tensor3D> {
    const { nAudioCtx, nAudioState } = this.dims;
    const per = nAudioCtx * nAudioState;
    const buf = new Float32Array(clips.length * per);
    for (const [i, c] of clips.entries()) buf.set(await this.encoderOutput(model, c, variants[i]), i * per);
    return tf.tensor3d(buf, [clips.length, nAudioCtx, nAudioState]);
  }

  /** Mel batch [B, nMels, 3000] for runs that train the encoder. */
  melBatch(clips: Clip[], variants: number[]): tf.Tensor3D {
    const { nMels } = this.dims;
    const per = nMels * N_FRAMES;
    const buf = new Float32Array(clips.length * per);
    clips.forEach((c, i) => buf.set(clipMel(c, nMels, this.aug, variants[i], this.seed), i * per));
    return tf.tensor3d(buf, [clips.length, nMels, N_FRAMES]);
  }

  get size(): number {
    return this.encoded.size;
  }
}
