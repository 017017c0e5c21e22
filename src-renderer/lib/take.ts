/**
 * @file Pure checks of one recorded take: level, clipping, length, and where speech starts and
 * ends (the auto-trim suggestion). Runtime-neutral (no DOM), so it is unit-tested under Node.
 */

export const MAX_TAKE_SEC = 30; // Whisper's window; the store rejects longer clips
/** Keep this much audio around detected speech (Piper's export keeps ~150 ms). */
export const TRIM_PAD_SEC = 0.15;
const FRAME_SEC = 0.02;

export interface TakeAnalysis {
  durationSec: number;
  peak: number;
  /** RMS of the loudest 20 ms frames' region (speech level), in dBFS. */
  speechDb: number;
  /** Fraction of samples at or above 0.99 full scale. */
  clippedFraction: number;
  /** Suggested trim, seconds: speech ± TRIM_PAD_SEC, or the whole take when no speech is found. */
  trim: { start: number; end: number };
  warnings: string[];
}

/** `pcm`: mono samples in [-1, 1] at `sampleRate`. */
export function analyseTake(pcm: Float32Array, sampleRate: number): TakeAnalysis {
  const durationSec = pcm.length / sampleRate;
  const frame = Math.max(1, Math.round(FRAME_SEC * sampleRate));
  const nFrames = Math.ceil(pcm.length / frame);
  const rms = new Float32Array(nFrames);
  let peak = 0;
  let clipped = 0;
  for (let f = 0; f < nFrames; f++) {
    let s = 0;
    const end = Math.min(pcm.length, (f + 1) * frame);
    for (let i = f * frame; i < end; i++) {
      const a = Math.abs(pcm[i]);
      s += a * a;
      if (a > peak) peak = a;
      if (a >= 0.99) clipped++;
    }
    rms[f] = Math.sqrt(s / Math.max(1, end - f * frame));
  }
  const loudest = rms.length ? Math.max(...rms) : 0;
  // Speech = frames within 30 dB of the loudest frame and above an absolute floor (-60 dBFS).
  const threshold = Math.max(loudest * 10 ** (-30 / 20), 10 ** (-60 / 20));
  let first = -1;
  let last = -1;
  for (let f = 0; f < nFrames; f++) {
    if (rms[f] >= threshold) {
      if (first < 0) first = f;
      last = f;
    }
  }
  const trim =
    first < 0
      ? { start: 0, end: durationSec }
      : { start: Math.max(0, first * FRAME_SEC - TRIM_PAD_SEC), end: Math.min(durationSec, (last + 1) * FRAME_SEC + TRIM_PAD_SEC) };
  const speechDb = loudest > 0 ? 20 * Math.log10(loudest) : -Infinity;
  const clippedFraction = pcm.length ? clipped / pcm.length : 0;
  const warnings: string[] = [];
  if (clippedFraction > 0.001) warnings.push('Clipping: the recording hit full scale. Move back from the microphone or lower its input gain, then re-record.');
  if (speechDb < -35) warnings.push('Too quiet: speak closer to the microphone or raise its input gain, then re-record.');
  if (durationSec > MAX_TAKE_SEC) warnings.push(`Too long: ${durationSec.toFixed(1)} s; clips must be at most ${MAX_TAKE_SEC} s. Trim it or re-record a shorter take.`);
  if (first < 0) warnings.push('No speech found in this take.');
  return { durationSec, peak, speechDb, clippedFraction, trim, warnings };
}

/** The samples inside `trim` (seconds). */
export function applyTrim(pcm: Float32Array, sampleRate: number, trim: { start: number; end: number }): Float32Array {
  const a = Math.max(0, Math.floor(trim.start * sampleRate));
  const b = Math.min(pcm.length, Math.ceil(trim.end * sampleRate));
  return pcm.slice(a, Math.max(a, b));
}

/** Level meter value 0..1 from an analyser's time-domain block (dBFS mapped from -60..0). */
export function meterLevel(block: Float32Array): number {
  let s = 0;
  for (let i = 0; i < block.length; i++) s += block[i] * block[i];
  const db = 20 * Math.log10(Math.sqrt(s / Math.max(1, block.length)) || 1e-9);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}
