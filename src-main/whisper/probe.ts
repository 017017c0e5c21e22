/**
 * The token-probability probe: for audio plus a transcript, the teacher-forced log-probability of
 * every transcript token (and the closing <|endoftext|>) given everything before it, the top-k
 * competitors at each position, and per-term aggregates (the tokens that spell "PyTorch").
 *
 * Log-probs are the RAW log-softmax of the logits (no suppression), so they are comparable across
 * models and equal to the training loss's per-token terms.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperModel } from './model.ts';
import type { WhisperTokenizer } from './tokenizer.ts';
import { logSoftmax, topK } from './decoding/logits.ts';

export interface ProbeToken {
  id: number;
  text: string;
  logprob: number;
  top: { id: number; text: string; logprob: number }[];
}

export interface TermProbe {
  term: string;
  /** Character offset of this occurrence in the transcript. */
  offset: number;
  /** Indices into `tokens` of the tokens that overlap the term's characters. */
  tokenIndices: number[];
  tokens: string[];
  logprob: number;
  prob: number;
}

export interface ProbeResult {
  prefix: number[];
  tokens: ProbeToken[];
  total_logprob: number;
  mean_logprob: number;
  terms: TermProbe[];
}

export interface ProbeOptions {
  language?: string;
  topK?: number;
  terms?: string[];
  /** Previous-context prompt, as in decoding (<|startofprev|> + tokens before the SOT sequence). */
  prompt?: string;
}

/**
 * The form Whisper itself emits: text after the prefix starts with a space (" And so…"), so a
 * term's first token is " Py", not "Py". Training targets and probes use this form.
 */
export function decodedForm(text: string): string {
  const t = text.trim();
  return t ? ' ' + t : '';
}

/** Teacher-forced prefix: the SOT sequence with <|notimestamps|> (and an optional prompt before it). */
export function probePrefix(tok: WhisperTokenizer, nTextCtx: number, o: ProbeOptions): number[] {
  const sot = tok.sotSequence({ language: tok.isMultilingual ? (o.language ?? 'en') : undefined, task: 'transcribe', timestamps: false });
  if (!o.prompt?.trim()) return sot;
  const p = tok.encode(' ' + o.prompt.trim()).slice(-(Math.floor(nTextCtx / 2) - 1));
  return [tok.special.sotPrev, ...p, ...sot];
}

/**
 * audio: encoder output [1, S, D] for the clip. Returns per-token log-probs for `text`.
 */
export async function probeTranscript(model: WhisperModel, tok: WhisperTokenizer, audio: tf.Tensor3D, text: string, o: ProbeOptions = {}): Promise<ProbeResult> {
  const prefix = probePrefix(tok, model.dims.nTextCtx, o);
  const textIds = tok.encode(text);
  const labels = [...textIds, tok.special.eot];
  const input = [...prefix, ...textIds];
  if (input.length > model.dims.nTextCtx) {
    throw Object.assign(new Error(`the transcript is ${input.length} tokens with its prefix; the model reads at most ${model.dims.nTextCtx}`), { code: 'TRANSCRIPT_TOO_LONG' });
  }
  const logits = tf.tidy(() => {
    const ids = tf.tensor2d([input], [1, input.length], 'int32');
    const all = model.decodeFull(ids, audio); // [1, T, V]
    return tf.slice(all, [0, prefix.length - 1, 0], [1, labels.length, -1]);
  });
  const v = logits.shape[2];
  const data = (await logits.data()) as Float32Array;
  logits.dispose();
  const k = o.topK ?? 5;
  const tokens: ProbeToken[] = labels.map((id, i) => {
    const lp = logSoftmax(data.subarray(i * v, (i + 1) * v));
    return {
      id,
      text: tok.tokenText(id),
      logprob: lp[id],
      top: topK(lp, k).map((t) => ({ id: t.index, text: tok.tokenText(t.index), logprob: t.value })),
    };
  });
  const total = tokens.reduce((s, t) => s + t.logprob, 0);
  return { prefix, tokens, total_logprob: total, mean_logprob: total / tokens.length, terms: termAggregates(tokens.slice(0, textIds.length), text, o.terms ?? []) };
}

/**
 * Maps each occurrence of each term (case-sensitive) to the tokens whose characters overlap it.
 * Token texts concatenate to the transcript for byte-level BPE, so character offsets line up.
 */
export function termAggregates(tokens: ProbeToken[], text: string, terms: string[]): TermProbe[] {
  const spans: [number, number][] = [];
  let pos = 0;
  for (const t of tokens) {
    spans.push([pos, pos + t.text.length]);
    pos += t.text.length;
  }
  const out: TermProbe[] = [];
  for (const term of terms) {
    if (!term) continue;
    for (let at = text.indexOf(term); at !== -1; at = text.indexOf(term, at + term.length)) {
      const end = at + term.length;
      const idx = spans.flatMap(([a, b], i) => (a < end && b > at ? [i] : []));
      const lp = idx.reduce((s, i) => s + tokens[i].logprob, 0);
      out.push({ term, offset: at, tokenIndices: idx, tokens: idx.map((i) => tokens[i].text), logprob: lp, prob: Math.exp(lp) });
    }
  }
  return out;
}
