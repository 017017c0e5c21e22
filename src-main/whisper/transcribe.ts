/**
 * Whole-file transcription as upstream transcribe.py (with or without timestamps): the mel of the whole
 * file plus 30 s of zero padding, consecutive 30 s windows, temperature fallback on compression
 * ratio and average log-prob, silence skipping on the no-speech probability, and the previous
 * window's text as the next window's prompt.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HOP_LENGTH, N_FRAMES, N_SAMPLES, SAMPLE_RATE } from '../audio/constants.ts';
import { logMelSpectrogram, type LogMel } from '../audio/mel.ts';
import type { WhisperModel } from './model.ts';
import { decodeWindow } from './decoding/decode.ts';
import type { DecodeTokenizer, DecodingOptions, DecodingResult } from './decoding/options.ts';

export interface TranscribeOptions extends Partial<DecodingOptions> {
  /** Fallback temperatures, tried in order (upstream default 0, 0.2, …, 1.0). */
  temperatures?: number[];
  compressionRatioThreshold?: number | null;
  logprobThreshold?: number | null;
  noSpeechThreshold?: number | null;
  conditionOnPreviousText?: boolean;
  /** Vocabulary prompt for the first window (upstream `initial_prompt`). */
  initialPrompt?: string;
  /** Called after each window with the fraction of audio done (0…1). */
  onProgress?: (fraction: number, segment: Segment) => void;
  signal?: AbortSignal;
}

export interface Segment {
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avgLogprob: number;
  compressionRatio: number;
  noSpeechProb: number;
}

export interface Transcript {
  text: string;
  language: string;
  segments: Segment[];
}

/** Seconds per timestamp step and mel frames per encoder position (upstream time_precision, input_stride). */
const TIME_PRECISION = 0.02;
const INPUT_STRIDE = 2;

/**
 * Upstream transcribe.py's segmentation of one window decoded with timestamps: consecutive
 * timestamp pairs close segments; the window advances to the last closed timestamp (or by the
 * whole window when the output ends on a single timestamp or has none). Times are relative to the
 * window; `advance` is in mel frames.
 */
export function splitAtTimestamps(tokens: number[], timestampBegin: number, segmentSize: number): { segments: { tokens: number[]; start: number; end: number }[]; advance: number } {
  const isTs = tokens.map((t) => t >= timestampBegin);
  const singleEnding = isTs.length >= 2 && !isTs[isTs.length - 2] && isTs[isTs.length - 1];
  const consecutive: number[] = [];
  for (let i = 1; i < isTs.length; i++) if (isTs[i - 1] && isTs[i]) consecutive.push(i);
  const segments: { tokens: number[]; start: number; end: number }[] = [];
  if (consecutive.length > 0) {
    const slices = singleEnding ? [...consecutive, tokens.length] : consecutive;
    let last = 0;
    for (const cur of slices) {
      const part = tokens.slice(last, cur);
      segments.push({ tokens: part, start: (part[0] - timestampBegin) * TIME_PRECISION, end: (part[part.length - 1] - timestampBegin) * TIME_PRECISION });
      last = cur;
    }
    const advance = singleEnding ? segmentSize : (tokens[last - 1] - timestampBegin) * INPUT_STRIDE;
    // A window that closes at <|0.00|> would be decoded again forever: move on by the whole window.
    return { segments, advance: advance > 0 ? advance : segmentSize };
  }
  let duration = (segmentSize * HOP_LENGTH) / SAMPLE_RATE;
  const stamps = tokens.filter((t) => t >= timestampBegin);
  if (stamps.length > 0 && stamps[stamps.length - 1] !== timestampBegin) duration = (stamps[stamps.length - 1] - timestampBegin) * TIME_PRECISION;
  segments.push({ tokens, start: 0, end: duration });
  return { segments, advance: segmentSize };
}

/**
 * The encoder input for the window starting at frame `seek` of a whole-file mel (mel of the audio
 * plus 30 s of zero samples, as transcribe.py): `size` frames of content, the rest 0.0 — upstream
 * pads the mel segment in the normalised domain, not the audio. Returns [nMels, 3000].
 */
export function melWindow(mel: LogMel, seek: number, size: number): Float32Array {
  const window = new Float32Array(mel.nMels * N_FRAMES);
  for (let m = 0; m < mel.nMels; m++) {
    const row = m * mel.nFrames + seek;
    window.set(mel.data.subarray(row, row + Math.max(size, 0)), m * N_FRAMES);
  }
  return window;
}

/**
 * Encodes one 30 s mel window [nMels, 3000] (host array) → encoder output [1, S, D].
 */
export function encodeWindow(model: WhisperModel, mel: Float32Array, nMels: number): tf.Tensor3D {
  return tf.tidy(() => model.encode(tf.tensor3d(mel, [1, nMels, N_FRAMES])));
}

/** Decodes with the temperature fallback of upstream `decode_with_fallback`. */
export async function decodeWithFallback(
  model: WhisperModel,
  tok: DecodeTokenizer,
  audio: tf.Tensor3D,
  o: TranscribeOptions,
  prompt: number[] | string | undefined,
): Promise<DecodingResult> {
  const temps = o.temperatures ?? [0, 0.2, 0.4, 0.6, 0.8, 1.0];
  const crt = o.compressionRatioThreshold === undefined ? 2.4 : o.compressionRatioThreshold;
  const lpt = o.logprobThreshold === undefined ? -1.0 : o.logprobThreshold;
  const nst = o.noSpeechThreshold === undefined ? 0.6 : o.noSpeechThreshold;
  let result: DecodingResult | undefined;
  for (const t of temps) {
    const opts: Partial<DecodingOptions> = { ...o, temperature: t, prompt };
    if (t > 0) {
      delete opts.beamSize;
      delete opts.patience;
      opts.bestOf = o.bestOf ?? 5;
    } else delete opts.bestOf;
    result = await decodeWindow(model, tok, audio, opts);
    let fallback = false;
    if (crt !== null && result.compressionRatio > crt) fallback = true;
    if (lpt !== null && result.avgLogprob < lpt) fallback = true;
    if (nst !== null && result.noSpeechProb > nst && lpt !== null && result.avgLogprob < lpt) fallback = false; // silence
    if (!fallback) break;
  }
  return result!;
}

export async function transcribeSamples(model: WhisperModel, tok: DecodeTokenizer, samples: Float32Array, o: TranscribeOptions = {}): Promise<Transcript> {
  const nMels = model.dims.nMels;
  const mel = logMelSpectrogram(samples, nMels, N_SAMPLES);
  const contentFrames = mel.nFrames - N_FRAMES;
  const lpt = o.logprobThreshold === undefined ? -1.0 : o.logprobThreshold;
  const nst = o.noSpeechThreshold === undefined ? 0.6 : o.noSpeechThreshold;
  const segments: Segment[] = [];
  const allTokens: number[] = o.initialPrompt ? tok.encode(' ' + o.initialPrompt.trim()) : [];
  let promptResetSince = 0;
  let language = o.language;
  let seek = 0;
  while (seek < Math.max(contentFrames, 1)) {
    await new Promise((r) => setImmediate(r)); // let a cancel (IPC, SIGINT) arrive between windows
    if (o.signal?.aborted) throw Object.assign(new Error('transcription cancelled'), { code: 'CANCELLED' });
    const segmentSize = Math.min(N_FRAMES, contentFrames - seek);
    const audio = encodeWindow(model, melWindow(mel, seek, segmentSize), nMels);
    let result: DecodingResult;
    try {
      const prompt = allTokens.slice(promptResetSince);
      result = await decodeWithFallback(model, tok, audio, { ...o, language }, prompt.length ? prompt : undefined);
    } finally {
      audio.dispose();
    }
    language ??= result.language;
    const windowStart = seek;
    let skip = nst !== null && result.noSpeechProb > nst;
    if (skip && lpt !== null && result.avgLogprob > lpt) skip = false;
    if (skip) {
      seek += segmentSize;
      continue;
    }
    const stats = { temperature: result.temperature, avgLogprob: result.avgLogprob, compressionRatio: result.compressionRatio, noSpeechProb: result.noSpeechProb };
    const toSegment = (tokens: number[], start: number, end: number): Segment => ({ start, end, text: tok.decode(tokens, { skipSpecial: true }).trim(), tokens, ...stats });
    const timeOffset = (windowStart * HOP_LENGTH) / SAMPLE_RATE;
    const produced: Segment[] = [];
    if (o.withoutTimestamps === false) {
      const split = splitAtTimestamps(result.tokens, tok.special.timestampBegin, segmentSize);
      for (const s of split.segments) produced.push(toSegment(s.tokens, timeOffset + s.start, timeOffset + s.end));
      seek += split.advance;
    } else {
      produced.push(toSegment(result.tokens, timeOffset, ((windowStart + segmentSize) * HOP_LENGTH) / SAMPLE_RATE));
      seek += segmentSize;
    }
    for (const seg of produced) {
      segments.push(seg);
      o.onProgress?.(Math.min(1, seek / Math.max(contentFrames, 1)), seg);
    }
    allTokens.push(...result.tokens);
    if (o.conditionOnPreviousText === false || result.temperature > 0.5) promptResetSince = allTokens.length;
  }
  return { text: segments.map((s) => s.text).join(' ').trim(), language: language ?? 'en', segments };
}
