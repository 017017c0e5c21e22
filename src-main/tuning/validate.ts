/**
 * Validation during a run: teacher-forced loss on held-out clips, the mean log-prob of the
 * vocabulary terms' tokens, term recall from greedy decoding (exact, case-sensitive spelling),
 * and the general-speech guard: how much the loss on the general set moved from the base model.
 *
 * The best checkpoint is chosen by term recall, then term log-prob — not by loss, which rises
 * while WER falls in published Whisper runs — among checkpoints that pass the guard.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperModel } from '../whisper/model.ts';
import type { WhisperTokenizer } from '../whisper/tokenizer.ts';
import { decodedForm, probeTranscript } from '../whisper/probe.ts';
import { decodeWindow } from '../whisper/decoding/decode.ts';
import type { Clip } from './dataset.ts';
import type { FeatureCache } from './features.ts';
import { collate, makeExample, maskedCrossEntropy } from './loss.ts';

export interface ValidationResult {
  valLoss: number;
  termLogprob: number | null;
  termRecall: number | null;
  generalLoss: number | null;
}

/** Occurrences of a term as a whole word (case-sensitive), allowing punctuation around it. */
export function countTerm(text: string, term: string): number {
  const esc = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (text.match(new RegExp(`(?<![\\p{L}\\p{N}])${esc}(?![\\p{L}\\p{N}])`, 'gu')) ?? []).length;
}

export async function meanLoss(model: WhisperModel, tok: WhisperTokenizer, feats: FeatureCache, clips: Clip[], prefix: number[], batch = 8): Promise<number> {
  if (clips.length === 0) return NaN;
  let total = 0;
  let count = 0;
  for (let i = 0; i < clips.length; i += batch) {
    const part = clips.slice(i, i + batch);
    const b = collate(part.map((c) => makeExample(prefix, tok.encode(decodedForm(c.text)), tok.special.eot, model.dims.nTextCtx)), tok.special.eot);
    const audio = await feats.audioBatch(model, part, part.map(() => 0));
    const loss = tf.tidy(() => maskedCrossEntropy(model.decodeFull(b.inputs, audio), b.labels));
    total += (await loss.data())[0] * b.count;
    count += b.count;
    tf.dispose([loss, audio, b.inputs, b.labels]);
  }
  return total / count;
}

export async function validate(
  model: WhisperModel,
  tok: WhisperTokenizer,
  feats: FeatureCache,
  o: { validation: Clip[]; general: Clip[]; terms: string[]; prefix: number[]; decode: boolean; language?: string },
): Promise<ValidationResult> {
  const valLoss = await meanLoss(model, tok, feats, o.validation, o.prefix);
  const generalLoss = o.general.length ? await meanLoss(model, tok, feats, o.general, o.prefix) : null;
  const withTerms = o.validation.filter((c) => o.terms.some((t) => countTerm(c.text, t) > 0));
  if (withTerms.length === 0 || o.terms.length === 0) return { valLoss, termLogprob: null, termRecall: null, generalLoss };
  let lpSum = 0;
  let lpN = 0;
  let wanted = 0;
  let found = 0;
  for (const c of withTerms) {
    const audio = await feats.audioBatch(model, [c], [0]);
    try {
      const p = await probeTranscript(model, tok, audio, decodedForm(c.text), { terms: o.terms, topK: 1, language: o.language });
      for (const t of p.terms) {
        lpSum += t.logprob / Math.max(1, t.tokenIndices.length);
        lpN++;
      }
      if (o.decode) {
        const hyp = (await decodeWindow(model, tok, audio, { language: o.language, sampleLen: Math.min(96, tok.encode(decodedForm(c.text)).length * 2 + 8) })).text;
        for (const t of o.terms) {
          const want = countTerm(c.text, t);
          wanted += want;
          found += Math.min(want, countTerm(hyp, t));
        }
      }
    } finally {
      audio.dispose();
    }
  }
  return { valLoss, termLogprob: lpN ? lpSum / lpN : null, termRecall: o.decode && wanted ? found / wanted : null, generalLoss };
}
