// `vocab-tuner compare` end to end: espeak-ng speech with "PyTorch" sentences (held-out) and
// ordinary sentences (the general set), a short LoRA run on the fixture model, the real CLI as a
// child process (--json and --html), then the report opened in headless Chromium and screenshotted
// to .tmp/screenshots/compare-report.png. The fixture has random weights, so transcripts are noise;
// what is checked is the shape of the comparison, that tuning on "PyTorch" raised its log-prob,
// and that the report stays readable (no horizontal overflow from long garbage hypotheses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatSummary } from '../../../src-main/cli/compare.ts';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { parseCsv } from '../../../src-main/store/csv.ts';
import type { CompareReport } from '../../../src-main/eval/types.ts';
import { defaultConfig, tune } from '../../../src-main/tuning/trainer.ts';
import { hasTool } from '../../helpers/speech.ts';
import { makeTermDataset } from '../../helpers/term-dataset.ts';
import { MICRO_F32, NEEDS_REFERENCE, REPO_ROOT } from '../../helpers/reference.ts';
import { NEEDS_CHROMIUM, launchChromium } from '../../helpers/chromium.ts';

const skip =
  NEEDS_REFERENCE ||
  (!hasTool('espeak-ng') && 'needs espeak-ng (apt-get install espeak-ng)') ||
  NEEDS_CHROMIUM;

/** The helper's held-out controls become the forgetting-guard set, as the store's export marks them. */
function markControlsGeneral(dir: string): void {
  const file = path.join(dir, 'metadata.csv');
  const [head, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const out = rows.map((r) => [...r, r[0].startsWith('control-') && r[2] === 'test' ? 'general' : r[0].startsWith('term-') ? 'vocabulary' : 'negative']);
  writeFileSync(file, [[...head, 'subset'], ...out].map((r) => r.map(q).join(',')).join('\n') + '\n');
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/vocab-tuner.mjs'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('compare: base / prompt / tuned grid, scorecard, guard and trade-off from the CLI; HTML report screenshot', { skip, timeout: 20 * 60_000 }, async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'vt-compare-cli-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const data = await makeTermDataset(path.join(tmp, 'data'));
  markControlsGeneral(data);

  await t.test('clear errors for a missing dataset, missing flag, bad scales, not-an-adapter folder', async () => {
    const missing = await cli(['compare', '--model', MICRO_F32, '--data', path.join(tmp, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error \[DATASET_NOT_FOUND\]: No dataset folder at/);
    const noData = await cli(['compare', '--model', MICRO_F32]);
    assert.match(noData.stderr, /error \[MISSING_ARGUMENT\]: --data DATASET is required/);
    const badScales = await cli(['compare', '--model', MICRO_F32, '--data', data, '--scales', '0,half']);
    assert.match(badScales.stderr, /error \[INVALID_ARGUMENT\]: --scales must be/);
    const notAdapter = await cli(['compare', '--model', MICRO_F32, '--data', data, '--adapter', data, '--backend', 'wasm']);
    assert.equal(notAdapter.code, 1);
    assert.match(notAdapter.stderr, /error \[ADAPTER_INVALID\]: .* is not an adapter folder/);
  });

  await initBackend('wasm');
  const c = defaultConfig();
  Object.assign(c, { steps: 20, batchSize: 4, lr: 5e-3, warmupSteps: 2, evalDecode: false, terms: ['PyTorch'], seed: 1 });
  c.augment = { ...c.augment, variants: 1 };
  const run = path.join(tmp, 'run');
  await tune({ modelDir: MICRO_F32, dataDir: data, outDir: run, config: c });

  const html = path.join(tmp, 'report', 'compare.html');
  const r = await cli(['compare', '--model', MICRO_F32, '--adapter', path.join(run, 'adapter'), '--data', data, '--term', 'PyTorch',
    '--json', '--html', html, '--backend', 'wasm', '--max-tokens', '24']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1, 'stdout is exactly one JSON object');
  const report = JSON.parse(r.stdout) as CompareReport;
  console.log(r.stderr.split('\n').filter((l) => l.startsWith('compared ')).join('\n'));

  assert.deepEqual(report.models.map((m) => [m.label, m.role, m.adapterScale]), [
    ['base', 'base', null], ['base + prompt', 'base+prompt', null], ['tuned', 'tuned', 1], ['tuned + prompt', 'tuned+prompt', 1],
  ]);
  assert.equal(report.models[1].prompt, 'PyTorch');
  assert.deepEqual(report.dataset, { path: data, clips: 4, heldoutClips: 2, generalClips: 2 });
  for (const m of report.models) {
    assert.equal(m.clips.length, 4);
    assert.ok(Number.isFinite(m.totals.heldout.orthographic.wer) && Number.isFinite(m.totals.general.normalised.wer));
  }

  assert.deepEqual(report.scorecard.map((s) => s.model), ['base', 'base + prompt', 'tuned', 'tuned + prompt']);
  for (const s of report.scorecard) {
    assert.equal(s.term, 'PyTorch');
    assert.equal(s.occurrences, 2);
    assert.equal(s.negativeClips, 2);
    assert.equal(s.probedOccurrences, 2);
    assert.equal(s.probedTokens, 6); // " Py" "Tor" "ch" twice
    assert.ok(typeof s.meanLogprob === 'number' && s.meanLogprob < 0, `${s.model}: mean log-prob ${s.meanLogprob}`);
    assert.equal(s.firstToken?.text, ' Py');
    assert.ok(s.topCompetitor && s.topCompetitor.text !== ' Py');
  }
  const lp = (label: string) => report.scorecard.find((s) => s.model === label)!.meanLogprob!;
  assert.ok(lp('tuned') > lp('base') + 1, `tuning on PyTorch must raise its log-prob: base ${lp('base')}, tuned ${lp('tuned')}`);

  assert.ok(report.guard, 'two general clips: the guard runs');
  assert.equal(report.guard.generalClips, 2);
  assert.equal(report.guard.flagged, report.guard.driftPoints.normalised > 1);
  assert.equal(report.tradeOff.length, 1);
  assert.deepEqual(report.tradeOff[0].points.map((p) => p.scale), [0, 0.25, 0.5, 0.75, 1]);
  for (const p of report.tradeOff[0].points) assert.ok(p.generalWer !== null && p.termAccuracy !== null);
  assert.equal(report.tradeOff[0].points[0].generalWer, report.guard.baseWer.normalised, 'scale 0 is the base row');
  assert.equal(report.tradeOff[0].points[4].generalWer, report.guard.tunedWer.normalised, 'scale 1 is the tuned row');

  const summary = formatSummary(report);
  assert.match(summary, /^tuned \+ prompt /m);
  assert.match(summary, /forgetting guard: (ok|FLAGGED) — general normalised WER/);
  assert.match(summary, /^scale +0 +0\.25 +0\.5 +0\.75 +1$/m);

  const shots = path.join(REPO_ROOT, '.tmp', 'screenshots');
  mkdirSync(shots, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(`file://${html}`);
    assert.deepEqual(requests, [`file://${html}`], 'the report loads nothing but itself');
    for (const name of ['Summary', 'Forgetting guard', 'Trade-off by adapter scale', 'Term scorecard', 'Clip by clip']) {
      assert.ok(await page.getByRole('heading', { name }).isVisible(), name);
    }
    assert.equal(await page.locator('#clips .clip').count(), 4);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the report is ${overflow}px wider than the window (long hypotheses must wrap)`);
    await page.screenshot({ path: path.join(shots, 'compare-report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
