/**
 * Whole-file transcription as upstream transcribe.py (without timestamps): the mel of the whole
 * file plus 30 s of zero padding, consecutive 30 s windows, temperature fallback on compression
 * ratio and average log-prob, silence skipping on the no-speech probability, and the previous
 * window's text as the next window's prompt.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HOP_LENGTH, N_FRAMES, N_SAMPLES, SAMPLE_RATE } from '../audio/constants.ts';
import { logMelSpectrogram } from '../audio/mel.ts';
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
    const window = new Float32Array(nMels * N_FRAMES); // zeros = the normalised-domain padding upstream uses
    for (let m = 0; m < nMels; m++) {
      const row = mel.data.subarray(m * mel.nFrames + seek, m * mel.nFrames + seek + Math.max(segmentSize, 0));
      window.set(row, m * N_FRAMES);
    }
    const audio = encodeWindow(model, window, nMels);
    let result: DecodingResult;
    try {
      const prompt = allTokens.slice(promptResetSince);
      result = await decodeWithFallback(model, tok, audio, { ...o, language }, prompt.length ? prompt : undefined);
    } finally {
      audio.dispose();
    }
    language ??= result.language;
    const start = (seek * HOP_LENGTH) / SAMPLE_RATE;
    const end = ((seek + segmentSize) * HOP_LENGTH) / SAMPLE_RATE;
    seek += segmentSize;
    let skip = nst !== null && result.noSpeechProb > nst;
    if (skip && lpt !== null && result.avgLogprob > lpt) skip = false;
    if (skip) continue;
    const seg: Segment = {
      start,
      end,
      text: result.text,
      tokens: result.tokens,
      temperature: result.temperature,
      avgLogprob: result.avgLogprob,
      compressionRatio: result.compressionRatio,
      noSpeechProb: result.noSpeechProb,
    };
    segments.push(seg);
    allTokens.push(...result.tokens);
    if (o.conditionOnPreviousText === false || result.temperature > 0.5) promptResetSince = allTokens.length;
    o.onProgress?.(Math.min(1, seek / Math.max(contentFrames, 1)), seg);
  }
  return { text: segments.map((s) => s.text).join(' ').trim(), language: language ?? 'en', segments };
}
