/**
 * Word- and character-level alignment by edit distance (Levenshtein: substitution, deletion and
 * insertion each cost 1) with a backtrace, giving the word diff a user reads and the S/D/I counts
 * WER and CER are made of.
 *
 * Empty references follow jiwer ≥ 4.0 (jitsi/jiwer PR #108, "define behaviour for empty
 * references"): with N = 0, the rate is 0 when the hypothesis is empty too (silence correctly
 * transcribed as silence) and otherwise the number of inserted words (each counts as one error
 * "per reference word" of a one-word denominator): wer('', 'peaceful silence') = 2. The same rule
 * applies to corpus totals whose summed N is 0.
 */

/** One step of the diff, reference on the left: equal/sub carry both words, del only ref, ins only hyp. */
export type AlignOp =
  | { op: 'equal'; ref: string; hyp: string }
  | { op: 'sub'; ref: string; hyp: string }
  | { op: 'del'; ref: string }
  | { op: 'ins'; hyp: string };

/** Error counts; `refLength` = N = hits + substitutions + deletions. */
export type ErrorCounts = { refLength: number; hits: number; substitutions: number; deletions: number; insertions: number };

export type Alignment = ErrorCounts & { ops: AlignOp[]; errorRate: number };

export const ZERO_COUNTS: ErrorCounts = Object.freeze({ refLength: 0, hits: 0, substitutions: 0, deletions: 0, insertions: 0 });

/** (S + D + I) / N, with the jiwer ≥ 4.0 convention for N = 0 (see the file comment). */
export function errorRate(c: ErrorCounts): number {
  const errors = c.substitutions + c.deletions + c.insertions;
  return c.refLength === 0 ? errors : errors / c.refLength;
}

/** Sum counts over clips: the corpus rate is Σ(S+D+I) / ΣN, not a mean of per-clip rates. */
export function sumCounts(list: Iterable<ErrorCounts>): ErrorCounts {
  const t = { ...ZERO_COUNTS };
  for (const c of list) {
    t.refLength += c.refLength;
    t.hits += c.hits;
    t.substitutions += c.substitutions;
    t.deletions += c.deletions;
    t.insertions += c.insertions;
  }
  return t;
}

/**
 * Align two token sequences. The cost is lexicographic: fewest edits first (that is the WER), then
 * the most matched words, so "PyTorch → pie torch" reads as sub + ins next to its matching
 * neighbours instead of an equally cheap chain of substitutions. Remaining ties are broken by
 * the backtrace, which walks from the end and tries match, deletion, insertion, substitution, so
 * that substitutions land first: "PyTorch → pie, + torch", not "+ pie, PyTorch → torch".
 * O(|ref|·|hyp|) time and memory: clip transcripts are at most a few hundred words.
 */
export function alignSequences(ref: readonly string[], hyp: readonly string[]): Alignment {
  const n = ref.length;
  const m = hyp.length;
  const w = m + 1;
  // One edit costs K, one match earns 1; K exceeds any possible number of matches.
  const K = Math.min(n, m) + 1;
  const d = new Float64Array((n + 1) * w);
  for (let i = 0; i <= n; i++) d[i * w] = i * K;
  for (let j = 0; j <= m; j++) d[j] = j * K;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const diag = d[(i - 1) * w + j - 1] + (ref[i - 1] === hyp[j - 1] ? -1 : K);
      const del = d[(i - 1) * w + j] + K;
      const ins = d[i * w + j - 1] + K;
      d[i * w + j] = Math.min(diag, del, ins);
    }
  }
  const ops: AlignOp[] = [];
  const c = { ...ZERO_COUNTS };
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = d[i * w + j];
    if (i > 0 && j > 0 && ref[i - 1] === hyp[j - 1] && d[(i - 1) * w + j - 1] - 1 === here) {
      ops.push({ op: 'equal', ref: ref[i - 1], hyp: hyp[j - 1] });
      c.hits++;
      i--;
      j--;
    } else if (i > 0 && d[(i - 1) * w + j] + K === here) {
      ops.push({ op: 'del', ref: ref[i - 1] });
      c.deletions++;
      i--;
    } else if (j > 0 && d[i * w + j - 1] + K === here) {
      ops.push({ op: 'ins', hyp: hyp[j - 1] });
      c.insertions++;
      j--;
    } else {
      // the only move left: a substitution
      ops.push({ op: 'sub', ref: ref[i - 1], hyp: hyp[j - 1] });
      c.substitutions++;
      i--;
      j--;
    }
  }
  ops.reverse();
  c.refLength = n;
  return { ...c, ops, errorRate: errorRate(c) };
}

/**
 * Character alignment for CER over the same word sequences, joined by single spaces (spaces count
 * as characters, as in jiwer's `cer`). Characters are Unicode code points.
 */
export function alignChars(refWords: readonly string[], hypWords: readonly string[]): Alignment {
  return alignSequences(Array.from(refWords.join(' ')), Array.from(hypWords.join(' ')));
}

/** Counts without the ops, for storing per-clip totals. */
export function countsOf(a: Alignment): ErrorCounts {
  return { refLength: a.refLength, hits: a.hits, substitutions: a.substitutions, deletions: a.deletions, insertions: a.insertions };
}
