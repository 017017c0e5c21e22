/**
 * @file What audio we are willing to decode, judged from a file's header before a single sample
 * is decoded. A 2 KB WAV that claims 1 Hz would otherwise be resampled for 18 s, one with a rate
 * of 2^32−1 Hz would allocate an impossible array, and a small FLAC of constant frames would grow
 * to gigabytes — all before a "longer than 30 s" check could run. Every in-process decoder (WAV,
 * FLAC, the compressed-format decoders) calls `checkAudioHeader` with what its header says, and
 * refuses with an AUDIO_* code in microseconds.
 *
 *   checkAudioHeader({ sampleRate: 44100, channels: 2, bitsPerSample: 16, frames: 1_323_000 }, 'a.wav', { maxSeconds: 30 });
 */
import { UserError } from '../util/errors.ts';

export const AUDIO_LIMITS = {
  /** Telephone audio is 8 kHz; nothing real records below it. */
  minSampleRate: 8_000,
  /** The highest rate studio converters offer (DXD 352.8 kHz, 384 kHz). */
  maxSampleRate: 384_000,
  /** 7.1 surround; more channels is not a recording of a voice. */
  maxChannels: 8,
  /** Integer samples up to 32 bits, float up to 64. */
  maxBitsPerSample: 64,
  /** A clip for the dataset (Whisper's window). Long-form transcription passes no limit. */
  clipSeconds: 30,
} as const;

export interface AudioHeader {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Samples per channel the header promises; null when the format does not say (streamed FLAC). */
  frames: number | null;
}

export interface AudioLimitOptions {
  /** Refuse audio longer than this many seconds (clips: AUDIO_LIMITS.clipSeconds). */
  maxSeconds?: number;
}

/** Most samples per channel a decoder may produce at `sampleRate` under `maxSeconds` (a running cap). */
export function maxFramesFor(sampleRate: number, maxSeconds: number | undefined): number {
  return maxSeconds === undefined ? Number.POSITIVE_INFINITY : Math.ceil(sampleRate * maxSeconds);
}

/** Throws AUDIO_RATE_UNSUPPORTED, AUDIO_CHANNELS_UNSUPPORTED, AUDIO_BITS_UNSUPPORTED or AUDIO_TOO_LONG. */
export function checkAudioHeader(h: AudioHeader, name: string, opts: AudioLimitOptions = {}): void {
  const { minSampleRate: lo, maxSampleRate: hi, maxChannels, maxBitsPerSample } = AUDIO_LIMITS;
  if (!Number.isInteger(h.sampleRate) || h.sampleRate < lo || h.sampleRate > hi) {
    throw new UserError(
      'AUDIO_RATE_UNSUPPORTED',
      `${name}: the header says the sample rate is ${h.sampleRate} Hz; recordings are ${lo / 1000}–${hi / 1000} kHz. The file is damaged or not a recording; re-export it (e.g. at 16 or 48 kHz).`,
    );
  }
  if (!Number.isInteger(h.channels) || h.channels < 1 || h.channels > maxChannels) {
    throw new UserError('AUDIO_CHANNELS_UNSUPPORTED', `${name}: the header says the file has ${h.channels} channels; at most ${maxChannels} are supported. Mix it down to mono or stereo.`);
  }
  if (!Number.isInteger(h.bitsPerSample) || h.bitsPerSample < 1 || h.bitsPerSample > maxBitsPerSample) {
    throw new UserError('AUDIO_BITS_UNSUPPORTED', `${name}: the header says ${h.bitsPerSample} bits per sample; the file is damaged.`);
  }
  if (h.frames !== null && opts.maxSeconds !== undefined && h.frames > maxFramesFor(h.sampleRate, opts.maxSeconds)) {
    throw tooLong(name, h.frames / h.sampleRate, opts.maxSeconds);
  }
}

/** The AUDIO_TOO_LONG error, also thrown by decoders whose running count passes the cap. */
export function tooLong(name: string, seconds: number | null, maxSeconds: number): UserError {
  const what = seconds === null ? `is longer than ${maxSeconds} s` : `is ${seconds.toFixed(1)} s long`;
  return new UserError(
    'AUDIO_TOO_LONG',
    `${name}: the clip ${what}; clips must be at most ${maxSeconds} s (Whisper's window). Long clips are rejected, not split, because the transcript would need splitting at the same words: cut the audio and its text into shorter pieces and import them again.`,
  );
}
