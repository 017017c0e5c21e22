// Renders a report from constructed data (hand-written transcripts and probes, TEST DATA) and
// opens it in headless Chromium: visible text, no network request at all, a screenshot for review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { forgettingGuard, scoreRun, tradeOffPoint, type RunSpec, type TranscribedClip } from '../../../src-main/eval/grid.ts';
import { termScorecard } from '../../../src-main/eval/scorecard.ts';
import { renderReport } from '../../../src-main/eval/report-html.ts';
import type { CompareReport, TermProbe } from '../../../src-main/eval/types.ts';
import { NEEDS_CHROMIUM, launchChromium } from '../../helpers/chromium.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

const terms = ['PyTorch', 'CUDA', 'R&D'];
const refs: [string, 'heldout' | 'general', string][] = [
  ['clips/0001.wav', 'heldout', 'I trained the model with PyTorch on a CUDA device.'],
  ['clips/0002.wav', 'heldout', 'Our R&D team prefers PyTorch.'],
  ['clips/0003.wav', 'general', 'The weather is cooler today than yesterday.'],
  ['clips/0004.wav', 'general', 'Please <script>alert("x")</script> pass the salt.'],
];
const hyps: Record<string, string[]> = {
  base: ['I trained the model with pie torch on a cooler device.', 'Our R and D team prefers pie torch.', 'The weather is cooler today than yesterday.', 'Please <script>alert("x")</script> pass the salt.'],
  'base + prompt': ['I trained the model with PyTorch on a cooler device.', 'Our R&D team prefers Pytorch.', 'The weather is cooler today than yesterday.', 'Please <script>alert("x")</script> pass the salt.'],
  tuned: ['I trained the model with PyTorch on a CUDA device.', 'Our R&D team prefers PyTorch.', 'The weather is CUDA today than yesterday.', 'Please pass the salt.'],
  'tuned + prompt': ['I trained the model with PyTorch on a CUDA device.', 'Our R&D team prefers PyTorch.', 'The weather is cooler today than yesterday.', 'Please pass the salt.'],
};
const specs: RunSpec[] = [
  { label: 'base', role: 'base', model: 'openai/whisper-tiny.en', adapter: null, adapterScale: null, prompt: null },
  { label: 'base + prompt', role: 'base+prompt', model: 'openai/whisper-tiny.en', adapter: null, adapterScale: null, prompt: terms.join(', ') },
  { label: 'tuned', role: 'tuned', model: 'openai/whisper-tiny.en', adapter: 'adapters/run-1', adapterScale: 1, prompt: null },
  { label: 'tuned + prompt', role: 'tuned+prompt', model: 'openai/whisper-tiny.en', adapter: 'adapters/run-1', adapterScale: 1, prompt: terms.join(', ') },
];
const pyProbe = (py: number, pie: number): TermProbe => ({
  term: 'PyTorch',
  tokens: [{ id: 9485, text: ' Py', logprob: py }, { id: 15884, text: 'Tor', logprob: -0.3 }, { id: 354, text: 'ch', logprob: -0.05 }],
  firstTokenTop: [{ id: 2508, text: ' pie', logprob: pie }, { id: 9485, text: ' Py', logprob: py }, { id: 20309, text: ' Pi', logprob: -3.2 }],
});
const cudaProbe = (lp: number): TermProbe => ({ term: 'CUDA', tokens: [{ id: 40000, text: ' CUDA', logprob: lp }], firstTokenTop: [{ id: 40001, text: ' cooler', logprob: Math.log(0.5) }, { id: 40000, text: ' CUDA', logprob: lp }] });
const probeLp: Record<string, [number, number, number]> = { base: [-1.9, -0.45, -1.6], 'base + prompt': [-0.9, -1.2, -1.0], tuned: [-0.12, -3.0, -0.2], 'tuned + prompt': [-0.08, -3.4, -0.15] };

function constructedReport(): CompareReport {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9&<>"() ]/g, '').trim();
  const models = specs.map((s) => scoreRun(s, refs.map(([id, set, reference], i): TranscribedClip => ({ id, set, reference, hypothesis: hyps[s.label][i] })), norm));
  const scorecard = termScorecard(terms, specs.map((s, k) => ({
    label: s.label,
    clips: models[k].clips.map((c, i) => {
      const [py, pie, cuda] = probeLp[s.label];
      return { id: c.clipId, reference: c.reference, hypothesis: c.hypothesis, termProbes: i === 0 ? [pyProbe(py, pie), cudaProbe(cuda)] : i === 1 ? [pyProbe(py - 0.1, pie)] : [] };
    }),
  })));
  const points = [0, 0.25, 0.5, 0.75, 1].map((scale) => {
    const p = tradeOffPoint(scale, scale < 0.5 ? models[0] : scale < 1 ? models[3] : models[2], terms);
    return { ...p, generalWer: scale === 0.75 ? 0.0625 : p.generalWer };
  });
  return {
    version: 1,
    createdAt: '2026-01-02T03:04:05.000Z',
    dataset: { path: '/home/ada/vocab/export <v1>', clips: 4, heldoutClips: 2, generalClips: 2 },
    terms,
    models,
    scorecard,
    guard: forgettingGuard(models[0], models[2]),
    tradeOff: [{ adapter: 'adapters/run-1', mode: 'normalised', points }],
    notes: ['2 clip(s) in split "train" were not scored (not a held-out split).'],
  };
}

test('renderReport: self-contained and escaped', () => {
  const html = renderReport(constructedReport());
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(!/<script/i.test(html), 'no script element, and the injected one is escaped');
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  assert.ok(!/\b(src|href)\s*=|url\(|@import/i.test(html), 'nothing that could load a resource');
  assert.ok(html.includes('R&amp;D') && html.includes('export &lt;v1&gt;'));
  assert.ok(html.includes('Flagged'));
});

test('renderReport: a base-only comparison without terms or general clips', () => {
  const base = scoreRun(specs[0], [{ id: 'a.wav', set: 'heldout', reference: '', hypothesis: 'thank you' }], (t) => t);
  const html = renderReport({
    version: 1, createdAt: '2026-01-02T03:04:05.000Z', dataset: { path: 'd', clips: 1, heldoutClips: 1, generalClips: 0 },
    terms: [], models: [base], scorecard: [], guard: null, tradeOff: [], notes: [],
  });
  assert.ok(html.includes('<strong>Not run.</strong>'));
  assert.ok(html.includes('empty reference'));
  // empty reference + two inserted words → WER 200 % (jiwer >= 4.0)
  assert.ok(html.includes('200.0 %'));
  assert.ok(!html.includes('Term scorecard') && !html.includes('Trade-off'));
});

test('report opens offline in headless Chromium; screenshot saved', { skip: NEEDS_CHROMIUM }, async () => {
  const outDir = path.join(repoRoot, '.tmp', 'screenshots');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'report.html');
  writeFileSync(file, renderReport(constructedReport()));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    assert.deepEqual(requests, [`file://${file}`], 'only the report itself was loaded');
    for (const text of ['Before / after comparison', 'Forgetting guard', 'Term scorecard', 'Trade-off by adapter scale', 'Clip by clip']) {
      assert.ok(await page.getByRole('heading', { name: text }).isVisible(), text);
    }
    assert.ok(await page.getByText('Flagged: the tuned model got worse at ordinary speech.').isVisible());
    assert.equal(await page.locator('svg.chart').count(), 3); // trade-off + PyTorch + CUDA (R&D was not probed)
    await page.screenshot({ path: path.join(outDir, 'report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
