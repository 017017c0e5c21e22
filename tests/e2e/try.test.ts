/**
 * End to end, Try it: `vocab-tuner serve` as a real process, the fixture model imported and tuned
 * through the API (the default preset), then Debian's Chromium with a fake microphone playing an
 * espeak-ng sentence with a term. Listen → the VAD ends the utterance → both transcripts with
 * their latency, the term highlighted, probability bars base vs tuned → "Add to dataset" stores the
 * clip with the suggested transcript; then the Tune page's "Export cluster recipe" on that run.
 * Screenshots go to .tmp/screenshots/try-*.png.
 *
 * The fixture is a random-weight Whisper, so its transcripts are noise (or empty): the term shows
 * highlighted in the probed text ("What I meant to say"), and the probabilities are real.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { hasTool, speak, speakMany } from '../helpers/speech.ts';
import { ensureRendererBuilt } from '../../src-main/server/renderer-build.ts';
import { decodeWav, encodeWavPcm16 } from '../../src-main/audio/wav.ts';
import type { RunningServer } from '../../src-main/server/serve.ts';
import { MICRO_F32, NEEDS_REFERENCE } from '../helpers/reference.ts';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.ts';
import { CHROMIUM, launchChromium } from '../helpers/chromium.ts';
import { connectApi } from '../helpers/ws-client.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(ROOT, '.tmp', 'screenshots');
const missing = !existsSync(CHROMIUM) ? `needs ${CHROMIUM} (apt-get install chromium)` : !hasTool('espeak-ng') ? 'needs espeak-ng (apt-get install espeak-ng)' : NEEDS_REFERENCE;
const SENTENCE = 'I train my models in PyTorch.';

let tmp: string;
let url = '';
let server: ServeProcess | null = null;

before(async () => {
  if (missing) return;
  mkdirSync(SHOTS, { recursive: true });
  await ensureRendererBuilt();
  server = await startServeProcess({ renderer: 'built', prefix: 'vt-e2e-try-', env: { VOCAB_TUNER_BACKEND: 'wasm' } });
  ({ tmp, url } = server);
});

after(async () => {
  await server?.stop();
});

async function shot(page: Page, name: string) {
  await page.waitForTimeout(250);
  await page.evaluate(() => document.body.classList.add('vt-shot'));
  await page.addStyleTag({ content: 'body.vt-shot .shell { height: auto; min-height: 100%; } body.vt-shot main { overflow: visible; }' });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await page.evaluate(() => document.body.classList.remove('vt-shot'));
}

/** The API as the page speaks it: import the fixture, add the term and clips, tune the default preset. */
async function tunedRun(): Promise<{ api: Awaited<ReturnType<typeof connectApi>>; runId: number }> {
  const u = new URL(url);
  const api = await connectApi({ port: Number(u.port), token: u.searchParams.get('token')! } as RunningServer);
  await api.ok('models.import', { path: MICRO_F32 });
  await api.ok('terms.add', { text: 'PyTorch' });
  const lines: [string, string][] = [
    ['PyTorch makes tensors easy.', 'a'], ['We moved the project to PyTorch.', 'b'], ['PyTorch runs on the graphics card.', 'c'],
    ['Our team prefers PyTorch.', 'd'], ['I like PyTorch a lot.', 'e'], ['The weather is nice today.', 'f'], ['Please open the window.', 'g'],
  ];
  const files = await speakMany(lines.map(([text, name]) => ({ text, name })), path.join(tmp, 'clips'));
  for (const [i, f] of files.entries()) await api.ok('clips.import', { name: path.basename(f), bytes: new Uint8Array(readFileSync(f)), transcript: lines[i][0] });
  const { runId, jobId } = await api.ok('tune.start', null);
  const fin = await api.finished(jobId);
  assert.equal(fin.status, 'done', JSON.stringify(fin.error));
  return { api, runId };
}

test('Try it: speak a sentence with a term, see base and tuned side by side, add the clip to the dataset', { skip: missing, timeout: 600_000 }, async (t) => {
  const t0 = Date.now();
  const lap = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  // The fake microphone loops this file: a pause, the sentence, a pause (so the VAD can end it).
  const said = path.join(tmp, 'said.wav');
  await speak(SENTENCE, said);
  const speech = decodeWav(new Uint8Array(readFileSync(said))).channels[0];
  const mic = path.join(tmp, 'mic.wav');
  const pcm = new Float32Array(16000 * 1.2 + speech.length + 16000 * 1.8);
  pcm.set(speech, 16000 * 1.2);
  writeFileSync(mic, encodeWavPcm16(pcm, 16000));

  const { api, runId } = await tunedRun();
  lap('tuned');
  const clipsBefore = (await api.ok('clips.list', {})) as { id: number; transcript: string }[];

  const browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${mic}`]);
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, colorScheme: 'light' });
    await context.grantPermissions(['microphone'], { origin: new URL(url).origin });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url + '#/try');
    await page.getByRole('heading', { level: 1, name: 'Try' }).waitFor();
    await page.waitForFunction((id) => (document.querySelector('select[aria-label="Tuned model"]') as HTMLSelectElement | null)?.value === String(id), runId);
    await page.getByLabel('What I meant to say').fill(SENTENCE);
    await shot(page, 'try-1-ready');

    await page.getByRole('button', { name: 'Listen' }).click();
    await page.getByRole('meter', { name: 'Input level' }).waitFor();
    await page.getByText(/Hearing you/).waitFor({ timeout: 20_000 });
    await shot(page, 'try-2-listening');
    await page.getByRole('progressbar', { name: 'Try progress' }).waitFor({ timeout: 30_000 });
    lap('utterance ended by the VAD');
    const cols = page.getByRole('region', { name: 'Transcripts' });
    await cols.waitFor({ timeout: 180_000 });
    lap('transcribed');
    const base = page.getByLabel('base transcript', { exact: true });
    const tuned = page.getByLabel('tuned transcript', { exact: true });
    await base.waitFor();
    await tuned.waitFor();
    assert.match(await base.innerText(), /\d+ ms/, 'base latency shown');
    assert.match(await tuned.innerText(), /\d+ ms · encoder shared/, 'tuned latency shown; the decoder-only LoRA reuses the encoder output');
    const bars = page.getByRole('figure', { name: 'Token probabilities for PyTorch' });
    await bars.waitFor();
    const barText = await bars.innerText();
    assert.match(barText, /base[\s\S]*\d(\.\d+)?(e-\d+)?%[\s\S]*tuned[\s\S]*\d/, `probability bars for base and tuned: ${barText}`);
    assert.match(barText, /rival/, 'the top competitor is shown');
    assert.equal(await page.getByLabel('Probed text').locator('mark', { hasText: 'PyTorch' }).count(), 1, 'the term is highlighted');
    await page.getByLabel('Word diff').waitFor();
    await shot(page, 'try-3-result');

    // Add to dataset: the suggestion is the tuned transcript (the user may correct it).
    const tunedText = (await tuned.locator('p.text').innerText()).replace(/^\(nothing: no speech heard\)$/, '');
    const label = page.getByLabel('Transcript to store');
    assert.equal(await label.inputValue(), tunedText.trim(), 'suggested label = the tuned transcript');
    const stored = tunedText.trim() || SENTENCE; // the random fixture may hear nothing: then the user types it
    if (!tunedText.trim()) await label.fill(stored);
    await page.getByRole('button', { name: 'Add to dataset' }).click();
    await page.getByRole('status').filter({ hasText: /Added to the dataset as clip \d+/ }).waitFor({ timeout: 30_000 });
    await shot(page, 'try-4-added');
    const after = (await api.ok('clips.list', {})) as { id: number; transcript: string; durationSec: number }[];
    assert.equal(after.length, clipsBefore.length + 1, 'one clip stored');
    const added = after.find((c) => !clipsBefore.some((b) => b.id === c.id))!;
    assert.equal(added.transcript, stored);
    assert.ok(added.durationSec > 1.0 && added.durationSec < 6, `the utterance, not the whole loop: ${added.durationSec} s`);

    // Tune page: the finished run's "Export cluster recipe" writes the recipe folder (a job).
    await page.goto(url + '#/tune');
    await page.getByRole('heading', { level: 1, name: 'Tune' }).waitFor();
    const recipe = page.getByRole('region', { name: 'Cluster recipe' });
    await recipe.waitFor({ timeout: 30_000 });
    const out = path.join(tmp, 'recipe-from-app');
    await recipe.getByLabel('Recipe folder').fill(out);
    await recipe.getByRole('button', { name: 'Export cluster recipe' }).click();
    await recipe.getByRole('status').filter({ hasText: 'Recipe written to' }).waitFor({ timeout: 60_000 });
    for (const f of ['recipe.json', 'train.py', 'data/train/metadata.csv', 'accelerate/multi_gpu.yaml', 'README.md']) assert.ok(existsSync(path.join(out, f)), f);
    assert.equal(JSON.parse(readFileSync(path.join(out, 'recipe.json'), 'utf8')).method, 'lora');
    await shot(page, 'try-5-tune-recipe');

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(url + '#/try');
    await page.getByRole('button', { name: 'Listen' }).waitFor();
    await shot(page, 'try-6-dark');
    assert.deepEqual(errors, [], 'no page errors');
    api.ws.close();
  } finally {
    await browser.close();
  }
});
