/**
 * End to end: `vocab-tuner serve` as a real process, driven in Debian's Chromium with a fake
 * microphone that plays a WAV made by espeak-ng. Adds a term, records three clips by keyboard,
 * edits a transcript, visits every page and saves a screenshot of each to .tmp/screenshots/.
 * Tuning and the comparison slot into `tuneAndCompare` once the trainer (#3) and eval (#5) land;
 * until then the Tune page must show the back end's "not available" sentence.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hasTool, speak } from '../helpers/speech.ts';
import { ensureRendererBuilt } from '../../src-main/server/renderer-build.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, '.tmp', 'screenshots');
const missing = !existsSync(CHROMIUM) ? `needs ${CHROMIUM} (apt-get install chromium)` : !hasTool('espeak-ng') ? 'needs espeak-ng (apt-get install espeak-ng)' : false;
const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

let tmp: string;
let server: ChildProcess | null = null;
let url = '';

before(async () => {
  if (missing) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vt-e2e-'));
  mkdirSync(SHOTS, { recursive: true });
  await ensureRendererBuilt();
  server = spawn(process.execPath, [path.join(ROOT, 'bin/vocab-tuner.mjs'), 'serve', '--port', '0', '--data-dir', path.join(tmp, 'data'), '--json', '--no-open'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // An empty Hugging Face cache, so the Models page shows this machine's state reproducibly.
    env: { ...process.env, HF_HUB_CACHE: path.join(tmp, 'hf-hub'), HF_HUB_OFFLINE: '1' },
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    server!.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
});

after(() => {
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function shot(page: Page, name: string) {
  await page.waitForTimeout(250); // let transitions settle
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function go(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Slot for #3/#5: press Tune, watch progress reach 100, then Compare with token probabilities. */
async function tuneAndCompare(page: Page): Promise<'tuned' | 'not available'> {
  await go(page, 'Tune');
  await page.getByRole('button', { name: 'Tune', exact: true }).click();
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  const notAvailable = page.getByRole('status').filter({ hasText: 'not available yet' });
  await Promise.race([progress.waitFor(), notAvailable.first().waitFor()]);
  if (await notAvailable.count()) return 'not available';
  await page.waitForFunction(() => document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 120_000 });
  return 'tuned';
}

test('browser mode: add a term, record three clips by keyboard, edit a transcript, visit every page', { skip: missing, timeout: 180_000 }, async (t) => {
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
    assert.match((await page.getByRole('table', { name: 'Clips' }).innerText()), /CUDA/, 'term tags are shown');
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

    const tuned = await tuneAndCompare(page);
    t.diagnostic(`tuning: ${tuned}`);
    await shot(page, '5-tune');
    await go(page, 'Compare');
    await page.getByRole('button', { name: 'Compare' }).waitFor();
    await shot(page, '6-compare');
    await go(page, 'Models');
    await page.getByRole('button', { name: 'Download' }).waitFor();
    await shot(page, '7-models');
    await go(page, 'Settings');
    await page.getByRole('table', { name: 'Compute backends' }).or(page.getByRole('alert')).first().waitFor({ timeout: 60_000 });
    await shot(page, '8-settings');

    // Dark mode renders too (one look is enough to catch unreadable colours).
    await page.emulateMedia({ colorScheme: 'dark' });
    await go(page, 'Record');
    await shot(page, '9-record-dark');
    assert.deepEqual(errors.filter((e) => !/not available yet/.test(e)), [], 'no page errors');
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
