import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignChars, alignSequences, errorRate, sumCounts } from '../../../src-main/eval/align.ts';
import { countPhrase, orthographicWords } from '../../../src-main/eval/tokenize-words.ts';

const w = (s: string) => (s ? s.split(' ') : []);

test('identical sequences: all hits, WER 0', () => {
  const a = alignSequences(w('the cat sat'), w('the cat sat'));
  assert.deepEqual([a.hits, a.substitutions, a.deletions, a.insertions, a.refLength], [3, 0, 0, 0, 3]);
  assert.equal(a.errorRate, 0);
  assert.deepEqual(a.ops.map((o) => o.op), ['equal', 'equal', 'equal']);
});

test('one substitution, one deletion, one insertion with the exact diff', () => {
  // ref: I use PyTorch on my GPU      hyp: I use pie torch on GPU today
  // PyTorch→pie (sub), +torch (ins), my (del), +today (ins): 1 S, 1 D, 2 I over N=6 → 4/6
  const a = alignSequences(w('I use PyTorch on my GPU'), w('I use pie torch on GPU today'));
  assert.deepEqual([a.substitutions, a.deletions, a.insertions, a.hits, a.refLength], [1, 1, 2, 4, 6]);
  assert.equal(a.errorRate, 4 / 6);
  assert.deepEqual(a.ops, [
    { op: 'equal', ref: 'I', hyp: 'I' },
    { op: 'equal', ref: 'use', hyp: 'use' },
    { op: 'sub', ref: 'PyTorch', hyp: 'pie' },
    { op: 'ins', hyp: 'torch' },
    { op: 'equal', ref: 'on', hyp: 'on' },
    { op: 'del', ref: 'my' },
    { op: 'equal', ref: 'GPU', hyp: 'GPU' },
    { op: 'ins', hyp: 'today' },
  ]);
});

test('empty reference and/or hypothesis (jiwer >= 4.0 convention)', () => {
  const both = alignSequences([], []);
  assert.equal(both.errorRate, 0);
  assert.deepEqual(both.ops, []);
  const noRef = alignSequences([], w('peaceful silence'));
  assert.equal(noRef.insertions, 2);
  assert.equal(noRef.errorRate, 2);
  const noHyp = alignSequences(w('a b c'), []);
  assert.deepEqual([noHyp.deletions, noHyp.refLength, noHyp.errorRate], [3, 3, 1]);
  assert.deepEqual(noHyp.ops.map((o) => o.op), ['del', 'del', 'del']);
});

test('WER above 1 when the hypothesis is longer; corpus WER sums counts', () => {
  const a = alignSequences(w('hello'), w('hello how are you'));
  assert.equal(a.errorRate, 3);
  const b = alignSequences(w('a b c d'), w('a x c d'));
  // corpus: (3 + 1) errors / (1 + 4) words = 0.8, not the mean of 3 and 0.25
  assert.equal(errorRate(sumCounts([a, b])), 4 / 5);
  assert.equal(errorRate(sumCounts([])), 0);
});

test('CER counts code points, spaces included', () => {
  // "colour" → "color": one deletion over 6 characters
  const c = alignChars(['colour'], ['color']);
  assert.deepEqual([c.deletions, c.refLength], [1, 6]);
  // "a b" vs "ab": the space is deleted
  assert.equal(alignChars(['a', 'b'], ['ab']).errorRate, 1 / 3);
  // an astral character is one character, not two UTF-16 units
  assert.equal(alignChars(['😀x'], ['😀y']).refLength, 2);
});

test('orthographic words keep case, spelling and in-word punctuation', () => {
  assert.deepEqual(orthographicWords('"Install PyTorch, then CUDA." — she said (twice)!'), ['Install', 'PyTorch', 'then', 'CUDA', 'she', 'said', 'twice']);
  assert.deepEqual(orthographicWords("Don't recognise the U.S. colour..."), ["Don't", 'recognise', 'the', 'U.S', 'colour']);
  assert.deepEqual(orthographicWords('.NET and C++ and C# cost $5 (50%) ...and more'), ['.NET', 'and', 'C++', 'and', 'C#', 'cost', '$5', '50%', 'and', 'more']);
  assert.deepEqual(orthographicWords('  '), []);
  // composed and decomposed é compare equal
  assert.deepEqual(orthographicWords('caf\u0065\u0301'), orthographicWords('caf\u00e9'));
});

test('countPhrase: case-sensitive, multi-word, non-overlapping', () => {
  assert.equal(countPhrase(w('PyTorch and pytorch and PyTorch'), ['PyTorch']), 2);
  assert.equal(countPhrase(w('Hugging Face loves Hugging Face'), ['Hugging', 'Face']), 2);
  assert.equal(countPhrase(w('a a a'), ['a', 'a']), 1);
  assert.equal(countPhrase(w('a'), []), 0);
});

test('edit count equals plain Levenshtein distance on random sequences (seeded)', () => {
  let seed = 12345;
  const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % k);
  const lev = (a: string[], b: string[]): number => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
    return prev[b.length];
  };
  for (let t = 0; t < 300; t++) {
    const a = Array.from({ length: rnd(7) }, () => 'abc'[rnd(3)]);
    const b = Array.from({ length: rnd(7) }, () => 'abc'[rnd(3)]);
    const al = alignSequences(a, b);
    assert.equal(al.substitutions + al.deletions + al.insertions, lev(a, b), `${a} / ${b}`);
    // the ops replay the reference and the hypothesis exactly
    assert.deepEqual(al.ops.flatMap((o) => ('ref' in o ? [o.ref] : [])), a);
    assert.deepEqual(al.ops.flatMap((o) => ('hyp' in o ? [o.hyp] : [])), b);
  }
});
