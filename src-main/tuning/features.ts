/**
 * Clip → encoder input (and, with a frozen encoder, encoder output) for training. With a frozen
 * encoder its output is computed once per (clip, augmentation variant) and kept on the host, so a
 * decoder-only step never runs the encoder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HOP_LENGTH, N_FRAMES } from '../audio/constants.ts';
import { logMelSpectrogram, padOrTrim } from '../audio/mel.ts';
import type { WhisperModel } from '../whisper/model.ts';
import { augmentWave, specAugment, type AugmentConfig } from './augment.ts';
import { seedOf } from '../util/random.ts';
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

export class FeatureCache {
  private readonly encoded = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly model: WhisperModel,
    private readonly aug: AugmentConfig,
    private readonly seed: number,
    /** False while the encoder trains: its output then changes every step and is never cached. */
    private readonly frozen = true,
  ) {}

  /** Encoder output for a clip variant [S·D] on the host, computed at most once. */
  async encoderOutput(clip: Clip, variant: number): Promise<Float32Array> {
    const key = `${clip.id}#${variant}`;
    const hit = this.frozen ? this.encoded.get(key) : undefined;
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const { nMels } = this.model.dims;
    const mel = clipMel(clip, nMels, this.aug, variant, this.seed);
    const out = tf.tidy(() => this.model.encode(tf.tensor3d(mel, [1, nMels, N_FRAMES])));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    if (this.frozen) this.encoded.set(key, data);
    return data;
  }

  /** Stacks cached encoder outputs into [B, S, D]. */
  async audioBatch(clips: Clip[], variants: number[]): Promise<tf.Tensor3D> {
    const { nAudioCtx, nAudioState } = this.model.dims;
    const per = nAudioCtx * nAudioState;
    const buf = new Float32Array(clips.length * per);
    for (const [i, c] of clips.entries()) buf.set(await this.encoderOutput(c, variants[i]), i * per);
    return tf.tensor3d(buf, [clips.length, nAudioCtx, nAudioState]);
  }

  /** Mel batch [B, nMels, 3000] for runs that train the encoder. */
  melBatch(clips: Clip[], variants: number[]): tf.Tensor3D {
    const { nMels } = this.model.dims;
    const per = nMels * N_FRAMES;
    const buf = new Float32Array(clips.length * per);
    clips.forEach((c, i) => buf.set(clipMel(c, nMels, this.aug, variants[i], this.seed), i * per));
    return tf.tensor3d(buf, [clips.length, nMels, N_FRAMES]);
  }

  get size(): number {
    return this.encoded.size;
  }
}
