/**
 * Decoding options and results (openai/whisper decoding.py's DecodingOptions / DecodingResult),
 * validated in one place as upstream's `_verify_options`.
 */
import { UserError } from '../../util/errors.ts';
import type { WhisperTokenizer } from '../tokenizer.ts';

/** Decoding works on the checkpoint's tokenizer. */
export type DecodeTokenizer = WhisperTokenizer;

export interface DecodingOptions {
  task: 'transcribe' | 'translate';
  /** Language code ("en"); undefined → detected on multilingual models, English on .en models. */
  language?: string;
  /** 0 = greedy (or beam search with beamSize); > 0 samples. */
  temperature: number;
  /** Maximum number of tokens to sample (upstream default n_text_ctx / 2 = 224). */
  sampleLen?: number;
  /** Independent samples at temperature > 0; the best is kept. */
  bestOf?: number;
  beamSize?: number;
  /** Beam search: finished candidates wanted = round(beamSize · patience). */
  patience?: number;
  /** null → rank by logprob / length; α in [0,1] → Google NMT penalty ((5+len)/6)^α. */
  lengthPenalty?: number | null;
  /** Previous-context text (" " + prompt.trim() is encoded) or its tokens; capped at n_ctx/2 − 1. */
  prompt?: string | number[];
  /** Token ids suppressed at every step; "-1" = the default non-speech set; [] = none. */
  suppressTokens: '-1' | number[];
  /** Suppress blank (" ") and EOT at the first sampled position. */
  suppressBlank: boolean;
  /** false: predict <|t|> segment timestamps (upstream ApplyTimestampRules). */
  withoutTimestamps: boolean;
  /** Latest allowed first timestamp, in seconds (upstream default 1.0). */
  maxInitialTimestamp?: number | null;
  /** Seed for sampling at temperature > 0 (deterministic runs). */
  seed?: number;
}

export const DEFAULT_DECODING: DecodingOptions = {
  task: 'transcribe',
  temperature: 0,
  suppressTokens: '-1',
  suppressBlank: true,
  withoutTimestamps: true,
  lengthPenalty: null,
};

export interface DecodingResult {
  language: string;
  /** Sampled text tokens (no prefix, no EOT). */
  tokens: number[];
  text: string;
  avgLogprob: number;
  sumLogprob: number;
  noSpeechProb: number;
  temperature: number;
  compressionRatio: number;
}

export function verifyOptions(o: DecodingOptions): void {
  if (o.beamSize !== undefined && o.bestOf !== undefined) {
    throw new UserError('INVALID_OPTIONS', "beam size and best-of can't be given together");
  }
  if (o.temperature === 0 && o.bestOf !== undefined) {
    throw new UserError('INVALID_OPTIONS', 'best-of with greedy sampling (temperature 0) would give identical results');
  }
  if (o.patience !== undefined && o.beamSize === undefined) {
    throw new UserError('INVALID_OPTIONS', 'patience requires a beam size');
  }
  if (o.lengthPenalty != null && !(o.lengthPenalty >= 0 && o.lengthPenalty <= 1)) {
    throw new UserError('INVALID_OPTIONS', 'length penalty must be a value between 0 and 1');
  }
  if (o.beamSize !== undefined && (!Number.isInteger(o.beamSize) || o.beamSize < 1 || o.beamSize > 16)) {
    throw new UserError('INVALID_OPTIONS', 'beam size must be an integer from 1 to 16');
  }
  if (o.temperature < 0 || !Number.isFinite(o.temperature)) {
    throw new UserError('INVALID_OPTIONS', 'temperature must be zero or positive');
  }
}
