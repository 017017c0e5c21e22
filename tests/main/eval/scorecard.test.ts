// A constructed example whose numbers are worked out by hand in the comments. Token ids of
// " PyTorch" (9485, 15884, 354) are the real English-tokenizer ids from the reference manifest;
// the competitor ids (2508 " pie", 20309 " Pi", 350 " P") are made up for this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pooledTermAccuracy, scoreTerms, termScorecard, type ScorecardClip } from '../../../src-main/eval/scorecard.ts';

const terms = ['PyTorch', 'CUDA', 'Hugging Face'];
const Py = (logprob: number) => ({ id: 9485, text: ' Py', logprob });
const pie = (logprob: number) => ({ id: 2508, text: ' pie', logprob });

const base: ScorecardClip[] = [
  {
    // PyTorch: ref 1, hyp 0 ("pie torch") → 0 hits. CUDA: ref 1, hyp 1 → 1 hit.
    id: 'c1', reference: 'I installed PyTorch with CUDA.', hypothesis: 'I installed pie torch with CUDA.',
    termProbes: [{
      term: 'PyTorch',
      tokens: [Py(-2.0), { id: 15884, text: 'Tor', logprob: -0.5 }, { id: 354, text: 'ch', logprob: -0.1 }],
      firstTokenTop: [pie(-0.7), Py(-2.0), { id: 20309, text: ' Pi', logprob: -2.5 }],
    }],
  },
  {
    // PyTorch: ref 2, hyp 1 (lower-case "pytorch" does not count) → 1 hit.
    id: 'c2', reference: 'PyTorch and PyTorch again', hypothesis: 'PyTorch and pytorch again',
    termProbes: [
      { term: 'PyTorch', tokens: [Py(-1.0), { id: 15884, text: 'Tor', logprob: -0.3 }, { id: 354, text: 'ch', logprob: -0.2 }], firstTokenTop: [Py(-1.0), pie(-1.5), { id: 350, text: ' P', logprob: -3.0 }] },
      { term: 'PyTorch', tokens: [Py(-0.5), { id: 15884, text: 'Tor', logprob: -0.1 }, { id: 354, text: 'ch', logprob: -0.1 }], firstTokenTop: [Py(-0.5), pie(-2.0)] },
    ],
  },
  // a confusable negative: "cooler" heard as CUDA → 1 false insertion of CUDA
  { id: 'c3', reference: 'The weather is cooler today.', hypothesis: 'The weather is CUDA today.' },
  // Hugging Face: ref 1, hyp 0 (case differs) → 0 hits
  { id: 'c4', reference: 'Hugging Face hosts models.', hypothesis: 'hugging face hosts models' },
  // silence hallucinated as "CUDA CUDA" → 2 more false insertions, in a second clip
  { id: 'c5', reference: '', hypothesis: 'CUDA CUDA' },
];

const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);

test('scorecard counts: occurrences, recall, negatives and false insertions', () => {
  const [py, cuda, hf] = scoreTerms(terms, 'base', base);
  // PyTorch: 3 occurrences in 2 clips, hits 0 + 1 = 1, recall 1/3; negatives c3 c4 c5, none inserted
  assert.deepEqual(
    [py.occurrences, py.clipsWithTerm, py.hits, py.negativeClips, py.falseInsertions, py.clipsWithFalseInsertion],
    [3, 2, 1, 3, 0, 0],
  );
  close(py.recall, 1 / 3);
  // CUDA: 1 occurrence, 1 hit; negatives c2..c5 = 4; false insertions 1 (c3) + 2 (c5) = 3 in 2 clips
  assert.deepEqual([cuda.occurrences, cuda.hits, cuda.recall, cuda.negativeClips, cuda.falseInsertions, cuda.clipsWithFalseInsertion], [1, 1, 1, 4, 3, 2]);
  // Hugging Face (multi-word): 1 occurrence, 0 hits
  assert.deepEqual([hf.occurrences, hf.hits, hf.recall, hf.negativeClips, hf.falseInsertions], [1, 0, 0, 4, 0]);
  // pooled over terms: (1 + 1 + 0) / (3 + 1 + 1) = 0.4
  close(pooledTermAccuracy([py, cuda, hf]), 0.4);
});

test('scorecard log-probs: pooled mean, first token, top competitor', () => {
  const [py, cuda] = scoreTerms(terms, 'base', base);
  // 9 tokens: (-2.0 - 0.5 - 0.1) + (-1.0 - 0.3 - 0.2) + (-0.5 - 0.1 - 0.1) = -4.8 → -4.8 / 9
  close(py.meanLogprob, -4.8 / 9);
  assert.equal(py.probedTokens, 9);
  assert.equal(py.probedOccurrences, 3);
  // first token " Py": (-2.0 - 1.0 - 0.5) / 3
  assert.equal(py.firstToken?.text, ' Py');
  close(py.firstToken!.meanLogprob, -3.5 / 3);
  // " pie" is in all 3 top lists: mean (-0.7 - 1.5 - 2.0) / 3 = -1.4; then " Pi" (-2.5) before " P" (-3.0)
  assert.deepEqual(py.competitors.map((c) => [c.text, c.count]), [[' pie', 3], [' Pi', 1], [' P', 1]]);
  close(py.topCompetitor!.meanLogprob, -1.4);
  // no probes for CUDA
  assert.deepEqual([cuda.meanLogprob, cuda.firstToken, cuda.topCompetitor, cuda.probedTokens], [null, null, null, 0]);
});

test('termScorecard is term-major across models', () => {
  const tuned: ScorecardClip[] = base.map((c) => ({ id: c.id, reference: c.reference, hypothesis: c.reference }));
  const card = termScorecard(terms, [{ label: 'base', clips: base }, { label: 'tuned', clips: tuned }]);
  assert.deepEqual(card.map((s) => `${s.term}/${s.model}`), [
    'PyTorch/base', 'PyTorch/tuned', 'CUDA/base', 'CUDA/tuned', 'Hugging Face/base', 'Hugging Face/tuned',
  ]);
  // a perfect transcript: every occurrence hit, nothing inserted
  assert.deepEqual(card.filter((s) => s.model === 'tuned').map((s) => [s.recall, s.falseInsertions]), [[1, 0], [1, 0], [1, 0]]);
  // a term that never occurs has recall null rather than a misleading 0
  assert.equal(scoreTerms(['Kubernetes'], 'base', base)[0].recall, null);
});
