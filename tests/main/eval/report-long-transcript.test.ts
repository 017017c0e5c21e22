// A runaway transcript (a repetition loop, or the random-weight fixture's noise) must not bury the
// report: its word diff is cut past twice the reference length with a count, a 500-character
// "word" is shown cut, and in Chromium the page never gets wider than the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scoreRun } from '../../../src-main/eval/grid.ts';
import { renderReport } from '../../../src-main/eval/report-html.ts';
import type { CompareReport } from '../../../src-main/eval/types.ts';
import { NEEDS_CHROMIUM, launchChromium } from '../../helpers/chromium.ts';

const REFERENCE = 'He fixed the PyTorch import.'; // 5 words → diff cut after max(60, 10) = 60 entries
const LOOP = 'He fixed ' + Array.from({ length: 98 }, () => 'final').join(' '); // 100 words
const BLOB = 'cartoons' + 'TX'.repeat(250); // 508 characters without a space

function report(): CompareReport {
  const spec = { role: 'base' as const, model: '/m', adapter: null, adapterScale: null, prompt: null };
  const models = [
    scoreRun({ ...spec, label: 'base' }, [{ id: 'a.wav', set: 'heldout', reference: REFERENCE, hypothesis: LOOP }], (s) => s.toLowerCase()),
    scoreRun({ ...spec, label: 'blob', role: 'base+prompt' }, [{ id: 'a.wav', set: 'heldout', reference: REFERENCE, hypothesis: BLOB }], (s) => s.toLowerCase()),
  ];
  return {
    version: 1, createdAt: '2026-01-01T00:00:00.000Z', dataset: { path: '/d', clips: 1, heldoutClips: 1, generalClips: 0 },
    terms: [], models, scorecard: [], guard: null, tradeOff: [], notes: [],
  };
}

test('a 100-word loop for a 5-word reference shows 60 diff entries and says how many are hidden', () => {
  const html = renderReport(report());
  // ops: "He" "fixed" equal, 3 substitutions, then 95 insertions = 100 entries; 40 hidden, all inserted
  assert.ok(html.includes('… 40 more words not shown (40 inserted)'), 'count of hidden words');
  assert.equal((html.match(/<ins title="inserted">final<\/ins>/g) ?? []).length, 60 - 5);
  assert.ok(html.includes(`${BLOB.slice(0, 60)}…`) && html.includes(`title="${BLOB}"`), 'long word cut, whole in the tooltip');
});

test('the report with runaway transcripts fits the window in Chromium', { skip: NEEDS_CHROMIUM }, async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'vt-report-long-')), 'r.html');
  writeFileSync(file, renderReport(report()));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    await page.goto(`file://${file}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the window`);
  } finally {
    await browser.close();
  }
});
