/**
 * End to end: `vocab-tuner serve` as a real process, driven in Debian's Chromium with a fake
 * microphone that plays a WAV made by espeak-ng. Adds a term, records three clips by keyboard,
 * edits a transcript, imports the fixture model on the Models page, pre-labels a dropped clip,
 * tunes (a short run set in the Advanced panel), compares base and tuned with token
 * probabilities, and saves a screenshot of every page to .tmp/screenshots/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { hasTool, speak, speakMany } from '../helpers/speech.ts';
import { ensureRendererBuilt } from '../../src-main/server/renderer-build.ts';
import { decodeWire, encodeWire } from '../../src-main/ipc/wire.ts';
import { MICRO_F32, NEEDS_REFERENCE } from '../helpers/reference.ts';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(ROOT, '.tmp', 'screenshots');
const missing = !existsSync(CHROMIUM) ? `needs ${CHROMIUM} (apt-get install chromium)` : !hasTool('espeak-ng') ? 'needs espeak-ng (apt-get install espeak-ng)' : NEEDS_REFERENCE;
const BASE_ARGS = CHROMIUM_ARGS;

let tmp: string;
let url = '';
let server: ServeProcess | null = null;

before(async () => {
  if (missing) return;
  mkdirSync(SHOTS, { recursive: true });
  await ensureRendererBuilt();
  // wasm: the backend the trainer's tests use; quick to start on a machine without a GPU.
  server = await startServeProcess({ renderer: 'built', prefix: 'vt-e2e-', env: { VOCAB_TUNER_BACKEND: 'wasm' } });
  ({ tmp, url } = server);
});

after(async () => {
  await server?.stop();
});

async function shot(page: Page, name: string) {
  await page.waitForTimeout(250); // let transitions settle
  // The page scrolls inside <main>, so a full-page screenshot would stop at the window: let the
  // shell grow to its content for the picture, then put it back.
  await page.evaluate(() => document.body.classList.add('vt-shot'));
  await page.addStyleTag({ content: 'body.vt-shot .shell { height: auto; min-height: 100%; } body.vt-shot main { overflow: visible; }' });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await page.evaluate(() => document.body.classList.remove('vt-shot'));
}

async function go(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/**
 * More speech with transcripts, through the same API the page uses (a WebSocket with the URL's
 * token and the page's Origin), so the store can hold out clips of both terms for the comparison.
 */
const EXTRA: [string, string][] = [
  ['I train my models in PyTorch.', 'pt-1'],
  ['PyTorch makes tensors easy.', 'pt-2'],
  ['We moved the whole project to PyTorch.', 'pt-3'],
  ['PyTorch runs on the graphics card.', 'pt-4'],
  ['Our team prefers PyTorch for research.', 'pt-5'],
  ['The weather is nice today.', 'gen-1'],
  ['Please open the window.', 'gen-2'],
];
async function importExtraClips(): Promise<void> {
  const dir = path.join(tmp, 'extra');
  await speakMany(EXTRA.map(([text, name]) => ({ text, name: `${name}.wav` })), dir);
  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/api?token=${u.searchParams.get('token')}`, { origin: u.origin });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  let id = 0;
  const pending = new Map<number, (v: any) => void>();
  ws.on('message', (d) => {
    const m = decodeWire(d.toString()) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  for (const [text, name] of EXTRA) {
    const bytes = new Uint8Array(readFileSync(path.join(dir, `${name}.wav`)));
    const r = await new Promise<any>((resolve) => {
      pending.set(++id, resolve);
      ws.send(encodeWire({ id, channel: 'clips.import', args: [{ name: `${name}.wav`, bytes, transcript: text }] }));
    });
    assert.equal(r.ok, true, JSON.stringify(r.error));
  }
  ws.close();
}

/** Import the fixture model, pre-label, tune a short run, watch progress reach 100, compare. */
async function tuneAndCompare(page: Page, t: { diagnostic(m: string): void }): Promise<void> {
  const t0 = Date.now();
  const lap = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  // Models: import the fixture as a local folder; the first model becomes the base.
  await go(page, 'Models');
  await page.getByLabel('Local model folder').fill(MICRO_F32);
  await page.getByRole('button', { name: 'Import folder' }).click();
  await page.getByRole('status').filter({ hasText: 'Imported as local/whisper-micro-en' }).waitFor({ timeout: 60_000 });
  await page.getByRole('table', { name: 'Models' }).getByText('base for tuning').waitFor();
  lap('model imported');

  // Dataset: the dropped clip has no transcript; pre-label it with the base model, then correct it.
  await go(page, 'Dataset');
  await page.getByRole('button', { name: /^Pre-label 1 with base model$/ }).click();
  const busy = page.getByRole('button', { name: /^Pre-labelling/ });
  await busy.waitFor({ timeout: 10_000 }).catch(() => {}); // it may finish before we look
  await busy.waitFor({ state: 'detached', timeout: 90_000 });
  assert.equal(await page.getByRole('alert').count(), 0, 'pre-labelling reported no error');
  // The dropped clip is the newest so far. A random-weight model may transcribe it as nothing
  // (Whisper's no-speech rule) or as gibberish; either way a person corrects it.
  const newest = await page.getByLabel(/^Transcript of clip \d+$/).evaluateAll((els) =>
    Math.max(...els.map((e) => Number(/(\d+)$/.exec(e.getAttribute('aria-label')!)![1]))),
  );
  const dropped = page.getByLabel(`Transcript of clip ${newest}`, { exact: true });
  t.diagnostic(`pre-label of the dropped clip: ${JSON.stringify(await dropped.inputValue())}`);
  await dropped.fill('PyTorch runs on CUDA.');
  await dropped.press('Enter');
  await importExtraClips();
  await page.getByRole('table', { name: 'Clips' }).locator('tbody tr').nth(3 + EXTRA.length).waitFor();
  lap('pre-labelled and imported');

  // Vocabulary: a second term, spoken in the imported clips.
  await go(page, 'Vocabulary');
  await page.getByLabel('Term', { exact: true }).fill('PyTorch');
  await page.getByRole('button', { name: 'Add term' }).click();
  await page.getByRole('table', { name: 'Terms' }).getByRole('cell', { name: 'PyTorch', exact: true }).waitFor();

  // Tune: a short run from the Advanced panel (the big Tune button runs the full default preset).
  await go(page, 'Tune');
  await page.waitForFunction(() => (document.querySelector('select[aria-label="Base model"]') as HTMLSelectElement | null)?.value === 'local/whisper-micro-en');
  await shot(page, '5a-tune-before');
  await page.getByText('Advanced').click();
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByLabel(/^Steps/).fill('3');
  await page.getByRole('button', { name: 'Tune with these settings' }).click();
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  await progress.waitFor();
  await page.getByRole('button', { name: 'Cancel' }).waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')) > 0, null, { timeout: 120_000 });
  await shot(page, '5b-tune-running');
  await page.waitForFunction(() => document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 180_000 });
  await page.getByRole('status').filter({ hasText: 'Run done.' }).waitFor({ timeout: 60_000 });
  await page.getByRole('table', { name: 'Runs' }).getByRole('cell', { name: 'done' }).waitFor();
  await page.getByRole('img', { name: /^What changed: / }).waitFor();
  lap('tuned');
  await shot(page, '5-tune');

  // Compare: base vs tuned with token probabilities.
  await go(page, 'Compare');
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await page.getByRole('progressbar', { name: 'Comparison progress' }).waitFor();
  await shot(page, '6a-compare-running');
  await page.getByRole('table', { name: 'Comparison grid' }).waitFor({ timeout: 240_000 });
  lap('compared');
  const grid = await page.getByRole('table', { name: 'Comparison grid' }).innerText();
  for (const label of ['base', 'base + prompt', 'tuned', 'tuned + prompt']) assert.match(grid, new RegExp(`^${label.replace('+', '\\+')}\\b`, 'm'));
  const bars = page.getByRole('figure', { name: 'Token probabilities for PyTorch' });
  await bars.waitFor();
  assert.match(await bars.innerText(), /\d+(\.\d+)?%/, 'token probabilities are shown');
  await page.getByRole('img', { name: /^Trade-off curve: / }).waitFor();
  await page.getByRole('table', { name: 'Clips compared' }).locator('tbody tr').first().waitFor();
}

test('browser mode: add a term, record three clips by keyboard, edit a transcript, tune, compare, visit every page', { skip: missing, timeout: 480_000 }, async (t) => {
  const wav = path.join(tmp, 'mic.wav');
  await speak('I installed CUDA on the new machine.', wav);
  const importWav = path.join(tmp, 'import.wav');
  await speak('PyTorch runs on CUDA.', importWav);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...BASE_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, colorScheme: 'light' });
    await context.grantPermissions(['microphone'], { origin: new URL(url).origin });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url);

    // Vocabulary: add a term.
    await page.getByRole('heading', { level: 1, name: 'Vocabulary' }).waitFor();
    await page.getByLabel('Term', { exact: true }).fill('CUDA');
    await page.getByLabel('Sounds like').fill('cooler, Cuda');
    await page.getByRole('button', { name: 'Add term' }).click();
    await page.getByRole('table', { name: 'Terms' }).getByRole('cell', { name: 'CUDA', exact: true }).waitFor();
    await shot(page, '1-vocabulary');

    // Record: three takes, keyboard only (R, R, Space, Enter).
    await go(page, 'Record');
    // The script loads first: then the card shows either a prompt or the free-text field.
    await page.locator('.prompt-card .prompt, .prompt-card input').first().waitFor();
    for (let i = 1; i <= 3; i++) {
      const free = page.getByLabel('What you will say');
      if (await free.count()) {
        await free.fill(`I installed CUDA on the new machine, take ${i}.`);
        await free.press('Enter'); // blurs the field so the next keys are shortcuts
      }
      await page.keyboard.press('r');
      await page.getByRole('button', { name: 'Stop' }).waitFor();
      // The fake microphone loops the WAV (with pauses): take the loudest reading over 1.8 s.
      let level = 0;
      for (let k = 0; k < 9; k++) {
        await page.waitForTimeout(200);
        level = Math.max(level, Number(await page.getByRole('meter', { name: 'Input level' }).getAttribute('aria-valuenow')));
      }
      if (i === 1) await shot(page, '2-record-live');
      await page.keyboard.press('r');
      await page.getByRole('button', { name: 'Accept' }).and(page.locator(':enabled')).waitFor();
      assert.ok(level > 0, `the level meter moved while recording (take ${i}: ${level})`);
      if (i === 2) {
        // Backspace throws the take away and records again.
        await page.keyboard.press('Backspace');
        await page.getByRole('button', { name: 'Stop' }).waitFor();
        await page.waitForTimeout(1500);
        await page.keyboard.press('r');
        await page.getByRole('button', { name: 'Accept' }).and(page.locator(':enabled')).waitFor();
      }
      await page.keyboard.press(' ');
      if (i === 1) await shot(page, '3-record-review');
      await page.keyboard.press('Enter');
      await page.getByText(`${i} clip${i > 1 ? 's' : ''} saved this session.`).waitFor();
    }
    // ← / → move between prompts (when the script has prompts: Enter advanced us to prompt 4).
    if (await page.getByText(/^Prompt \d+ of \d+/).count()) {
      await page.getByText(/^Prompt 4 of /).waitFor();
      await page.keyboard.press('ArrowLeft');
      await page.getByText(/^Prompt 3 of /).waitFor();
      await page.keyboard.press('ArrowRight');
      await page.getByText(/^Prompt 4 of /).waitFor();
    }

    // Dataset: three clips; edit one transcript; it persists across a reload.
    await go(page, 'Dataset');
    const rows = page.getByRole('table', { name: 'Clips' }).locator('tbody tr');
    await assert.doesNotReject(() => rows.nth(2).waitFor());
    assert.equal(await rows.count(), 3);
    const first = page.getByLabel(/^Transcript of clip \d+$/).first();
    await first.fill('I installed CUDA on the new laptop.');
    await first.press('Enter');
    await page.waitForTimeout(300);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Dataset' }).waitFor();
    await page.getByLabel(/^Transcript of clip \d+$/).first().waitFor();
    assert.equal(await page.getByLabel(/^Transcript of clip \d+$/).first().inputValue(), 'I installed CUDA on the new laptop.');
    // Term tags come from a second request (the vocabulary): wait for them rather than read at once.
    await assert.doesNotReject(() => page.getByRole('table', { name: 'Clips' }).getByText('CUDA', { exact: true }).first().waitFor({ timeout: 15_000 }), 'term tags are shown');
    // Drag and drop an audio file onto the page: it is imported as a fourth clip.
    const dropped = readFileSync(importWav).toString('base64');
    await page.getByRole('region', { name: 'Import audio files' }).evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'pytorch.wav', { type: 'audio/wav' }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, dropped);
    await page.getByRole('table', { name: 'Clips' }).locator('tbody tr').nth(3).waitFor();
    await shot(page, '4-dataset');

    await tuneAndCompare(page, t);
    await shot(page, '6-compare');
    await go(page, 'Models');
    await page.getByRole('button', { name: 'Download', exact: true }).waitFor();
    await page.getByRole('table', { name: 'Tuned models' }).waitFor();
    await shot(page, '7-models');
    await go(page, 'Dataset');
    await shot(page, '4b-dataset-after');
    await go(page, 'Settings');
    await page.getByRole('table', { name: 'Compute backends' }).or(page.getByRole('alert')).first().waitFor({ timeout: 60_000 });
    await shot(page, '8-settings');

    // Dark mode renders too (one look is enough to catch unreadable colours).
    await page.emulateMedia({ colorScheme: 'dark' });
    await go(page, 'Record');
    await page.locator('.prompt-card .prompt, .prompt-card input').first().waitFor();
    await shot(page, '9-record-dark');
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await browser.close();
  }
});

test('with the microphone permission denied the Record page says so', { skip: missing, timeout: 60_000 }, async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, '--use-fake-device-for-media-stream'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, permissions: [] });
    const page = await context.newPage();
    await page.goto(url + '#/record');
    await page.getByRole('heading', { level: 1, name: 'Record' }).waitFor();
    const free = page.getByLabel('What you will say');
    if (await free.count()) await free.fill('Hello.');
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Microphone access is blocked' });
    await alert.waitFor({ timeout: 15_000 });
    await page.waitForTimeout(500);
    assert.equal(await page.getByRole('alert').count(), 1, 'one clear message, not a second raw error');
    await shot(page, '10-record-denied');
  } finally {
    await browser.close();
  }
});
