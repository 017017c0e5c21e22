/**
 * Lossless recording, end to end: Chromium's fake microphone plays a WAV made by espeak-ng, the
 * Record page captures it through the AudioWorklet (float PCM at the device rate, no codec), the
 * take is trimmed and stored at 16 kHz by the back end's resampler — and the stored samples match
 * the source WAV's (correlation ≥ 0.99 after alignment). The page also shows the device's format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasTool, speak } from '../helpers/speech.ts';
import { launchChromium, NEEDS_CHROMIUM } from '../helpers/chromium.ts';
import { connectApi } from '../helpers/ws-client.ts';
import { ensureRendererBuilt } from '../../src-main/server/renderer-build.ts';
import { startServer } from '../../src-main/server/serve.ts';
import { decodeWav } from '../../src-main/audio/wav.ts';

const skip = NEEDS_CHROMIUM || (!hasTool('espeak-ng') && 'needs espeak-ng (apt-get install espeak-ng)');

/** Pearson correlation of a[ai + k·stride] with b[bi + k·stride] for k < n/stride. */
function correlation(a: Float32Array, ai: number, b: Float32Array, bi: number, n: number, stride = 1): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, m = 0;
  for (let k = 0; k < n; k += stride) {
    const x = a[ai + k], y = b[bi + k];
    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; m++;
  }
  const cov = sab - (sa * sb) / m;
  return cov / Math.sqrt((saa - (sa * sa) / m) * (sbb - (sb * sb) / m));
}

test('a take recorded through the AudioWorklet is stored with the source WAV\'s samples (r ≥ 0.99)', { skip, timeout: 180_000 }, async (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vt-rec-'));
  const rendererDir = await ensureRendererBuilt();
  const server = await startServer({ dataDir: path.join(tmp, 'data'), rendererDir, port: 0 });
  const wav = path.join(tmp, 'mic.wav');
  await speak('I fine tune Whisper with PyTorch on my own vocabulary.', wav);
  const source = decodeWav(new Uint8Array(readFileSync(wav)), wav).channels[0];
  const browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`]);
  const api = await connectApi(server);
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    await context.grantPermissions(['microphone'], { origin: new URL(server.url).origin });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Record', exact: true }).click();
    const free = page.getByLabel('What you will say');
    await free.fill('I fine tune Whisper with PyTorch on my own vocabulary.');
    await free.press('Enter');
    await page.keyboard.press('r');
    await page.getByRole('button', { name: 'Stop' }).waitFor();
    // Longer than the sentence, so one whole loop of the fake microphone's file is in the take.
    await page.waitForTimeout(1000 * (source.length / 16000) + 2500);
    await page.keyboard.press('r');
    await page.getByRole('button', { name: 'Accept' }).and(page.locator(':enabled')).waitFor();
    const format = await page.getByRole('status', { name: 'Microphone format' }).innerText();
    t.diagnostic(format);
    assert.match(format, /Microphone: [\d,]+ Hz · \d channels? · recorded as float PCM/);
    await page.keyboard.press('Enter');
    // Storing resamples in a job process: wait for the clip to be there.
    let clips: { id: number }[] = [];
    for (let i = 0; i < 300 && clips.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      clips = await api.ok('clips.list', {});
    }
    assert.equal(clips.length, 1);
    const audio = await api.ok('clips.audio', clips[0].id);
    assert.equal(audio.sampleRate, 16000);
    const stored = audio.pcm as Float32Array;
    // The stored clip is the auto-trimmed take: speech ± 150 ms, at 16 kHz. The fake microphone
    // loops the file, so a window of the take may straddle the seam between two loops: slide a
    // 1.5 s window along the take and align each with the source (wholly inside it), keep the best.
    const w = Math.min(24000, source.length - 1600, stored.length);
    let best = { lag: 0, r: -1, at: 0 };
    for (let at = 0; at + w <= stored.length; at += 2000) {
      // Coarse: every 4th sample, lags in steps of 8; then the exact lag nearby at full resolution.
      let here = { lag: 0, r: -1 };
      for (let lag = 0; lag + w <= source.length; lag += 8) {
        const r = correlation(stored, at, source, lag, w, 4);
        if (r > here.r) here = { lag, r };
      }
      for (let lag = Math.max(0, here.lag - 8); lag <= Math.min(source.length - w, here.lag + 8); lag++) {
        const r = correlation(stored, at, source, lag, w);
        if (r > best.r) best = { lag, r, at };
      }
    }
    t.diagnostic(`stored ${stored.length} samples (${(stored.length / 16000).toFixed(2)} s); ${w} of them from sample ${best.at} vs the source at ${best.lag}: r = ${best.r.toFixed(5)}`);
    assert.ok(best.r >= 0.99, `correlation with the source WAV: ${best.r.toFixed(4)}`);
    assert.deepEqual(errors, []);
  } finally {
    api.ws.close();
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
