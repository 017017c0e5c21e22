/**
 * The term scorecard: for each vocabulary term and each model, how often the model wrote the term
 * exactly as the user spells it, how often it wrote it where nobody said it, and how probable the
 * term's tokens were under teacher forcing — with the token that competed at its first position.
 *
 * Matching is always orthographic (case-sensitive, spelling kept, edge punctuation ignored) and
 * never uses Whisper's normaliser, which would count "pytorch" and "colour→color" as correct.
 */
import { countPhrase, orthographicWords } from './tokenize-words.ts';
import type { Competitor, TermProbe, TermScore } from './types.ts';

/** A clip as the scorecard sees it: texts plus optional probes (one per term occurrence probed). */
export type ScorecardClip = { id: string; reference: string; hypothesis: string; termProbes?: TermProbe[] };

const MAX_COMPETITORS = 3;

/**
 * Score every term for one model. Shapes: terms[T], clips[C] → TermScore[T] in terms order.
 *
 * - recall: per clip min(count in reference, count in hypothesis), summed, over occurrences.
 *   Counting instead of aligning keeps the number explainable by hand; it differs from an
 *   alignment-based count only when the model writes the term at the wrong place in a clip that
 *   contains it.
 * - falseInsertions: the term in hypotheses of clips whose reference lacks it.
 * - meanLogprob: pooled over tokens of all probes of the term (each token weighs the same).
 * - competitors: top-k entries at the first position other than the term's first token.
 */
export function scoreTerms(terms: readonly string[], model: string, clips: readonly ScorecardClip[]): TermScore[] {
  const words = clips.map((c) => ({ ref: orthographicWords(c.reference), hyp: orthographicWords(c.hypothesis) }));
  return terms.map((term) => {
    const phrase = orthographicWords(term);
    let occurrences = 0, clipsWithTerm = 0, hits = 0, negativeClips = 0, falseInsertions = 0, clipsWithFalseInsertion = 0;
    clips.forEach((_, i) => {
      const inRef = countPhrase(words[i].ref, phrase);
      const inHyp = countPhrase(words[i].hyp, phrase);
      if (inRef > 0) {
        occurrences += inRef;
        clipsWithTerm++;
        hits += Math.min(inRef, inHyp);
      } else {
        negativeClips++;
        falseInsertions += inHyp;
        if (inHyp > 0) clipsWithFalseInsertion++;
      }
    });
    const probes = clips.flatMap((c) => (c.termProbes ?? []).filter((p) => p.term === term && p.tokens.length > 0));
    return {
      term,
      model,
      occurrences,
      clipsWithTerm,
      hits,
      recall: occurrences > 0 ? hits / occurrences : null,
      negativeClips,
      falseInsertions,
      clipsWithFalseInsertion,
      ...probeStats(probes),
    };
  });
}

/** Log-prob statistics of a term's probes (all for the same term). */
function probeStats(probes: readonly TermProbe[]): Pick<TermScore, 'meanLogprob' | 'probedTokens' | 'probedOccurrences' | 'firstToken' | 'competitors' | 'topCompetitor'> {
  if (probes.length === 0) {
    return { meanLogprob: null, probedTokens: 0, probedOccurrences: 0, firstToken: null, competitors: [], topCompetitor: null };
  }
  const all = probes.flatMap((p) => p.tokens.map((t) => t.logprob));
  const first = probes[0].tokens[0];
  // A term at the start of a sentence may tokenize differently ("PyTorch" vs " PyTorch"); the
  // first token reported is the most common one, its mean over the probes that start with it.
  const firstIds = new Map<number, { text: string; lps: number[] }>();
  for (const p of probes) {
    const t = p.tokens[0];
    const e = firstIds.get(t.id) ?? { text: t.text, lps: [] };
    e.lps.push(t.logprob);
    firstIds.set(t.id, e);
  }
  let firstToken = { id: first.id, text: first.text, meanLogprob: mean(firstIds.get(first.id)!.lps) };
  for (const [id, e] of firstIds) {
    if (e.lps.length > firstIds.get(firstToken.id)!.lps.length) firstToken = { id, text: e.text, meanLogprob: mean(e.lps) };
  }
  const comp = new Map<number, { text: string; lps: number[] }>();
  for (const p of probes) {
    const own = p.tokens[0].id;
    for (const t of p.firstTokenTop) {
      if (t.id === own) continue;
      const e = comp.get(t.id) ?? { text: t.text, lps: [] };
      e.lps.push(t.logprob);
      comp.set(t.id, e);
    }
  }
  const competitors: Competitor[] = [...comp]
    .map(([id, e]) => ({ id, text: e.text, meanLogprob: mean(e.lps), count: e.lps.length }))
    .sort((a, b) => b.count - a.count || b.meanLogprob - a.meanLogprob || a.id - b.id)
    .slice(0, MAX_COMPETITORS);
  return {
    meanLogprob: mean(all),
    probedTokens: all.length,
    probedOccurrences: probes.length,
    firstToken,
    competitors,
    topCompetitor: competitors[0] ?? null,
  };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The scorecard for several models: terms × models, term-major, models in the given order. */
export function termScorecard(terms: readonly string[], runs: readonly { label: string; clips: readonly ScorecardClip[] }[]): TermScore[] {
  const perModel = runs.map((r) => scoreTerms(terms, r.label, r.clips));
  return terms.flatMap((_, t) => perModel.map((scores) => scores[t]));
}

/** Pooled exact-spelling accuracy over all terms: Σ hits / Σ occurrences (null if no occurrence). */
export function pooledTermAccuracy(scores: readonly TermScore[]): number | null {
  let hits = 0, occ = 0;
  for (const s of scores) {
    hits += s.hits;
    occ += s.occurrences;
  }
  return occ > 0 ? hits / occ : null;
}
