/**
 * Data augmentation for small personal datasets (the seeds' recipe: speed 0.9–1.1, volume ±6 dB,
 * noise at 20–40 dB SNR, SpecAugment time and frequency masks). Every draw comes from a seeded
 * generator keyed by (run seed, clip, variant), so a resumed run sees the same audio.
 * Variant 0 is always the clean clip.
 */
import { resample } from '../audio/resample.ts';
import { rng } from '../util/random.ts';

export interface AugmentConfig {
  /** Distinct versions of each clip (1 = no augmentation). With a frozen encoder each is encoded once. */
  variants: number;
  speed: boolean;
  volume: boolean;
  noise: boolean;
  specAugment: boolean;
}

export const DEFAULT_AUGMENT: AugmentConfig = { variants: 3, speed: true, volume: true, noise: true, specAugment: true };

/** Waveform augmentation. Returns a new array; the input is untouched. */
export function augmentWave(samples: Float32Array, c: AugmentConfig, seed: number): Float32Array {
  const r = rng(seed);
  let x = samples;
  if (c.speed && r() < 0.5) {
    const factor = 0.9 + 0.2 * r();
    // Playing `factor` times faster = resampling from 16k·factor to 16k.
    x = resample(x, Math.round(16000 * factor), 16000);
  } else x = x.slice();
  if (c.volume && r() < 0.5) {
    const gain = 10 ** ((-6 + 12 * r()) / 20);
    for (let i = 0; i < x.length; i++) x[i] *= gain;
  }
  if (c.noise && r() < 0.3) {
    let power = 0;
    for (let i = 0; i < x.length; i++) power += x[i] * x[i];
    power /= Math.max(1, x.length);
    const snrDb = 20 + 20 * r();
    const sigma = Math.sqrt(power / 10 ** (snrDb / 10));
    for (let i = 0; i < x.length; i += 2) {
      // Box–Muller: two normals per draw.
      const u = Math.max(r(), 1e-12);
      const v = r();
      const m = Math.sqrt(-2 * Math.log(u));
      x[i] += sigma * m * Math.cos(2 * Math.PI * v);
      if (i + 1 < x.length) x[i + 1] += sigma * m * Math.sin(2 * Math.PI * v);
    }
  }
  for (let i = 0; i < x.length; i++) x[i] = Math.max(-1, Math.min(1, x[i]));
  return x;
}

/**
 * SpecAugment (Park et al., LibriSpeech "LD" policy scaled down for short clips): two frequency
 * masks of up to 15 % of the bins and two time masks of up to 10 % of the speech frames, filled
 * with the mel's mean so the masked region carries no energy cue. mel [nMels, nFrames] in place;
 * only the first `contentFrames` frames (real audio, not padding) are masked.
 */
export function specAugment(mel: Float32Array, nMels: number, nFrames: number, contentFrames: number, seed: number): void {
  const r = rng(seed);
  let mean = 0;
  for (let i = 0; i < mel.length; i++) mean += mel[i];
  mean /= mel.length;
  for (let k = 0; k < 2; k++) {
    const f = Math.floor(r() * Math.floor(nMels * 0.15));
    const f0 = Math.floor(r() * (nMels - f));
    for (let m = f0; m < f0 + f; m++) mel.fill(mean, m * nFrames, m * nFrames + contentFrames);
  }
  for (let k = 0; k < 2; k++) {
    const t = Math.floor(r() * Math.floor(contentFrames * 0.1));
    const t0 = Math.floor(r() * Math.max(1, contentFrames - t));
    for (let m = 0; m < nMels; m++) mel.fill(mean, m * nFrames + t0, m * nFrames + t0 + t);
  }
}
