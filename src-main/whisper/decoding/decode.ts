/**
 * One 30-second window → text, as upstream's DecodingTask: build the initial tokens (prompt,
 * start-of-transcript sequence), install the logit filters, run greedy / sampling / beam search
 * with the KV cache, rank the candidates and report avg log-prob, no-speech probability and
 * compression ratio.
 */
// Reads from the device are awaited (tensor.data()), never dataSync(): WebGPU under Node has no
// synchronous readback, and awaiting keeps the app's event loop free while a GPU works.
import * as tf from '@tensorflow/tfjs-core';
import { deflateSync } from 'node:zlib';
import { KVCache, type WhisperModel } from '../model.ts';
import {
  argmax,
  logSoftmax,
  margin,
  sample,
  softmaxAt,
  suppressBlank,
  suppressTokens,
  timestampRules,
  topK,
  type LogitFilter,
} from './logits.ts';
import { rng } from '../../util/random.ts';
import { DEFAULT_DECODING, verifyOptions, type DecodeTokenizer, type DecodingOptions, type DecodingResult } from './options.ts';

/** len(utf8) / len(zlib(utf8)), as upstream's compression_ratio (zlib level 6 by default there too). */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return 0;
  return bytes.length / deflateSync(bytes).length;
}

/** Upstream `_get_suppress_tokens`: the list suppressed at every step. */
export function suppressList(tok: DecodeTokenizer, o: DecodingOptions): number[] {
  const ids = new Set<number>(o.suppressTokens === '-1' ? tok.nonSpeechTokens() : o.suppressTokens);
  const s = tok.special;
  for (const id of [s.transcribe, s.translate, s.sot, s.sotPrev, s.sotLm]) ids.add(id);
  ids.add(s.noSpeech);
  return [...ids].sort((a, b) => a - b);
}

/** Initial decoder tokens: [<|startofprev|>, prompt…]? + SOT sequence (+ <|notimestamps|>). */
export function initialTokens(tok: DecodeTokenizer, o: DecodingOptions, nTextCtx: number, language: string | undefined): number[] {
  const sot = tok.sotSequence({ language, task: o.task, timestamps: !o.withoutTimestamps });
  if (o.prompt === undefined || (typeof o.prompt === 'string' && o.prompt.trim() === '')) return sot;
  const promptTokens = typeof o.prompt === 'string' ? tok.encode(' ' + o.prompt.trim()) : o.prompt;
  // Upstream keeps the LAST n_ctx/2 − 1 prompt tokens (223 for every released model).
  const keep = Math.floor(nTextCtx / 2) - 1;
  return [tok.special.sotPrev, ...promptTokens.slice(-keep), ...sot];
}

/** Detects the spoken language from the SOT logits (multilingual models only). */
export async function detectLanguage(model: WhisperModel, tok: DecodeTokenizer, audio: tf.Tensor3D): Promise<{ language: string; probs: Map<string, number> }> {
  const langs = new Map(tok.languages.map((c) => [c, tok.languageId(c)] as const));
  const row = tf.tidy(() => {
    const cache = new KVCache(model.dims.nTextLayer);
    try {
      return model.decodeStep(tf.tensor2d([[tok.special.sot]], [1, 1], 'int32'), tf.slice(audio, [0, 0, 0], [1, -1, -1]), cache);
    } finally {
      cache.dispose();
    }
  });
  const logits = (await row.data()) as Float32Array;
  row.dispose();
  const masked = new Float32Array(logits.length).fill(-Infinity);
  for (const id of langs.values()) masked[id] = logits[id];
  const probs = new Map<string, number>();
  for (const [code, id] of langs) probs.set(code, softmaxAt(masked, id));
  let best = 'en';
  for (const [code, p] of probs) if (p > (probs.get(best) ?? -1)) best = code;
  return { language: best, probs };
}

interface Candidate {
  tokens: number[];
  sumLogprob: number;
}

export interface DecodeTrace {
  /** Top-1 minus top-2 margin after filters at each greedy step (row 0). */
  margins: number[];
}

/**
 * Decodes one window. `audio` is the encoder output for ONE clip [1, S, D].
 */
export async function decodeWindow(
  model: WhisperModel,
  tok: DecodeTokenizer,
  audio: tf.Tensor3D,
  options: Partial<DecodingOptions> = {},
  trace?: DecodeTrace,
): Promise<DecodingResult> {
  const o: DecodingOptions = { ...DEFAULT_DECODING, ...options };
  verifyOptions(o);
  let language = o.language;
  if (!language) language = tok.isMultilingual ? (await detectLanguage(model, tok, audio)).language : 'en';
  const { nTextCtx } = model.dims;
  const init = initialTokens(tok, o, nTextCtx, tok.isMultilingual ? language : undefined);
  const sampleBegin = init.length;
  const sotIndex = init.indexOf(tok.special.sot);
  const sampleLen = o.sampleLen ?? Math.floor(nTextCtx / 2);
  const eot = tok.special.eot;
  const filters: LogitFilter[] = [];
  if (o.suppressBlank) filters.push(suppressBlank(tok.encode(' '), eot, sampleBegin));
  if (o.suppressTokens === '-1' || o.suppressTokens.length > 0) filters.push(suppressTokens(suppressList(tok, o)));
  if (!o.withoutTimestamps) {
    const mit = o.maxInitialTimestamp === undefined ? 1.0 : o.maxInitialTimestamp;
    filters.push(timestampRules(tok.special, sampleBegin, mit === null ? null : Math.round(mit / 0.02)));
  }

  const beam = o.temperature === 0 && o.beamSize !== undefined;
  const nGroup = beam ? o.beamSize! : o.temperature > 0 ? (o.bestOf ?? 1) : 1;
  const random = rng(o.seed ?? 0);
  const cache = new KVCache(model.dims.nTextLayer);
  const groupAudio = nGroup === 1 ? audio : tf.tidy(() => tf.tile(audio, [nGroup, 1, 1]) as tf.Tensor3D);
  let seqs: number[][] = Array.from({ length: nGroup }, () => [...init]);
  let sums = new Array<number>(nGroup).fill(0);
  let noSpeechProb = NaN;
  const finished = new Map<string, Candidate>();
  const maxCandidates = beam ? Math.round(o.beamSize! * (o.patience ?? 1)) : 0;

  try {
    for (let step = 0; step < sampleLen; step++) {
      // First pass feeds the whole prefix; afterwards only the newest token of each row.
      const feed = step === 0 ? seqs : seqs.map((s) => [s[s.length - 1]]);
      const rows = await stepLogits(model, feed, groupAudio, cache, step === 0 ? sotIndex : -1, tok.special.noSpeech);
      if (step === 0) noSpeechProb = rows.noSpeech;
      const logits = rows.last;
      for (let b = 0; b < seqs.length; b++) for (const f of filters) f(logits[b], seqs[b]);
      if (trace) trace.margins.push(margin(logits[0]));

      if (beam) {
        const next = beamUpdate(seqs, sums, logits, o.beamSize!, eot, finished, maxCandidates);
        cache.reorder(next.sources);
        seqs = next.seqs;
        sums = next.sums;
        if (finished.size >= maxCandidates) break;
      } else {
        let done = true;
        for (let b = 0; b < seqs.length; b++) {
          const last = seqs[b][seqs[b].length - 1];
          if (last === eot && seqs[b].length > sampleBegin) {
            seqs[b].push(eot);
            continue;
          }
          const lp = logSoftmax(logits[b]);
          const t = o.temperature === 0 ? argmax(logits[b]) : sample(logits[b], o.temperature, random);
          sums[b] += lp[t];
          seqs[b].push(t);
          if (t !== eot) done = false;
        }
        if (done) break;
      }
      if (seqs[0].length > nTextCtx) break;
    }
  } finally {
    cache.dispose();
    if (groupAudio !== audio) groupAudio.dispose();
  }

  let candidates: Candidate[];
  if (beam) {
    // Upstream finalize: too few finished → pad with the best unfinished beams.
    const order = sums.map((s, i) => i).sort((a, b) => sums[b] - sums[a]);
    for (const j of order) {
      if (finished.size >= o.beamSize!) break;
      const key = [...seqs[j], eot].join(',');
      if (!finished.has(key)) finished.set(key, { tokens: [...seqs[j], eot], sumLogprob: sums[j] });
    }
    candidates = [...finished.values()];
  } else {
    candidates = seqs.map((s, i) => ({ tokens: s, sumLogprob: sums[i] }));
  }
  const texts = candidates.map((c) => {
    const sampled = c.tokens.slice(sampleBegin);
    const end = sampled.indexOf(eot);
    return end === -1 ? sampled : sampled.slice(0, end);
  });
  const best = rank(texts.map((t, i) => ({ length: t.length, logprob: candidates[i].sumLogprob })), o.lengthPenalty ?? null);
  const tokens = texts[best];
  const text = tok.decode(tokens, { skipSpecial: true }).trim(); // timestamps dropped, as upstream decode()
  return {
    language,
    tokens,
    text,
    sumLogprob: candidates[best].sumLogprob,
    avgLogprob: candidates[best].sumLogprob / (tokens.length + 1),
    noSpeechProb,
    temperature: o.temperature,
    compressionRatio: compressionRatio(text),
  };
}

/** Runs the decoder on `feed` and returns the last-position logits per row (and P(no-speech) at SOT). */
async function stepLogits(
  model: WhisperModel,
  feed: number[][],
  audio: tf.Tensor3D,
  cache: KVCache,
  sotIndex: number,
  noSpeechId: number | null,
): Promise<{ last: Float32Array[]; noSpeech: number }> {
  const b = feed.length;
  const t = feed[0].length;
  const ids = tf.tensor2d(feed.flat(), [b, t], 'int32');
  let noSpeech = NaN;
  let lastRows: Float32Array;
  let vocab: number;
  if (sotIndex >= 0) {
    const all = model.decodeStepAll(ids, audio, cache); // [B, T, V]
    vocab = all.shape[2];
    const data = (await all.data()) as Float32Array;
    all.dispose();
    if (noSpeechId !== null) noSpeech = softmaxAt(data.subarray(sotIndex * vocab, (sotIndex + 1) * vocab), noSpeechId);
    lastRows = new Float32Array(b * vocab);
    for (let i = 0; i < b; i++) lastRows.set(data.subarray((i * t + t - 1) * vocab, (i * t + t) * vocab), i * vocab);
  } else {
    const last = model.decodeStep(ids, audio, cache); // [B, V]
    vocab = last.shape[1];
    lastRows = (await last.data()) as Float32Array;
    last.dispose();
  }
  ids.dispose();
  const rows: Float32Array[] = [];
  for (let i = 0; i < b; i++) rows.push(lastRows.slice(i * vocab, (i + 1) * vocab));
  return { last: rows, noSpeech };
}

/** Upstream BeamSearchDecoder.update for a single audio. Mutates `finished`. */
function beamUpdate(
  seqs: number[][],
  sums: number[],
  logits: Float32Array[],
  beamSize: number,
  eot: number,
  finished: Map<string, Candidate>,
  maxCandidates: number,
): { seqs: number[][]; sums: number[]; sources: number[] } {
  const scores: { seq: number[]; score: number; source: number }[] = [];
  const seen = new Map<string, number>();
  for (let j = 0; j < seqs.length; j++) {
    const lp = logSoftmax(logits[j]);
    for (const { index } of topK(lp, beamSize + 1)) {
      const seq = [...seqs[j], index];
      const key = seq.join(',');
      const entry = { seq, score: sums[j] + lp[index], source: j };
      // Python dict semantics: a repeated key keeps its first position but takes the new value.
      const at = seen.get(key);
      if (at === undefined) {
        seen.set(key, scores.length);
        scores.push(entry);
      } else scores[at] = entry;
    }
  }
  const sorted = scores.map((s, i) => ({ ...s, i })).sort((a, b) => b.score - a.score || a.i - b.i);
  const next: number[][] = [];
  const nextSums: number[] = [];
  const sources: number[] = [];
  const newlyFinished: Candidate[] = [];
  for (const c of sorted) {
    if (c.seq[c.seq.length - 1] === eot) newlyFinished.push({ tokens: c.seq, sumLogprob: c.score });
    else {
      next.push(c.seq);
      nextSums.push(c.score);
      sources.push(c.source);
      if (next.length === beamSize) break;
    }
  }
  for (const f of newlyFinished) {
    if (finished.size >= maxCandidates) break;
    finished.set(f.tokens.join(','), f);
  }
  return { seqs: next, sums: nextSums, sources };
}

/** Upstream MaximumLikelihoodRanker: index of the best candidate. */
export function rank(cands: { length: number; logprob: number }[], lengthPenalty: number | null): number {
  let best = 0;
  let bestScore = -Infinity;
  cands.forEach((c, i) => {
    const penalty = lengthPenalty === null ? c.length : ((5 + c.length) / 6) ** lengthPenalty;
    const score = c.logprob / (penalty || 1);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}
