/**
 * Try page: terms are marked with their exact spelling as whole words (as the scorecard counts
 * them), the longest term first, and the pieces always join back to the transcript.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highlightTerms } from '../../../src-renderer/features/try/highlight.ts';

const marked = (text: string, terms: string[]) => highlightTerms(text, terms).filter((p) => p.term).map((p) => p.text);

test('exact spelling, whole words, longest first; pieces rebuild the text', () => {
  const text = 'I use PyTorch and pytorch, CUDA\'s cores, not BARRACUDA; PyTorch Lightning too.';
  assert.deepEqual(marked(text, ['PyTorch', 'CUDA']), ['PyTorch', 'CUDA', 'PyTorch']);
  assert.deepEqual(marked(text, ['PyTorch', 'PyTorch Lightning']), ['PyTorch', 'PyTorch Lightning']);
  for (const terms of [[], ['PyTorch'], ['C++', 'CUDA']]) assert.equal(highlightTerms(text, terms).map((p) => p.text).join(''), text);
  assert.deepEqual(marked('I write C++ daily', ['C++']), ['C++']);
  assert.deepEqual(highlightTerms('', ['x']), []);
});
