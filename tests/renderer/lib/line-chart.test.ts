/**
 * The live training charts (src-renderer/lib/LineChart.svelte, uPlot) in real Chromium: built by
 * Vite from a harness page that mounts the component as the Tune page does, then checked for
 * axes, a hover read-out and the log scale toggle, and screenshotted (.tmp/line-chart*.png).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, NEEDS_CHROMIUM } from '../../helpers/chromium.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const OUT = path.join(repoRoot, '.tmp/chart-harness');

test('LineChart: axes with ticks, a hover read-out, and a log scale for loss', { skip: NEEDS_CHROMIUM, timeout: 180_000 }, async () => {
  const { build } = await import('vite');
  const { svelte } = await import('@sveltejs/vite-plugin-svelte');
  await build({ root: path.join(import.meta.dirname, 'chart-harness'), base: './', configFile: false, logLevel: 'warn', plugins: [svelte()], build: { outDir: OUT, emptyOutDir: true, target: 'es2022', modulePreload: { polyfill: false } } });
  mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
  const browser = await launchChromium(['--allow-file-access-from-files']);
  try {
    const page = await browser.newPage({ viewport: { width: 960, height: 360 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(path.join(OUT, 'index.html')).href);
    const loss = page.getByRole('figure', { name: 'Training loss' });
    await loss.locator('canvas').waitFor();
    // Axes: uPlot draws two axes with their titles; the legend row names the series.
    assert.equal(await loss.locator('.u-axis').count(), 2);
    assert.match(await loss.locator('.u-legend').innerText(), /step[\s\S]*Training loss/i);
    // The log scale is offered for loss and on by default; the probability chart has no toggle.
    const toggle = loss.getByRole('checkbox', { name: 'log scale' });
    assert.equal(await toggle.isChecked(), true);
    assert.equal(await page.getByRole('figure', { name: 'Term probability (validation)' }).getByRole('checkbox').count(), 0);
    // Hover: the read-out shows the step and the value under the cursor.
    const box = (await loss.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    const readout = await loss.locator('.u-legend').innerText();
    const m = /step\s*(\d+)[\s\S]*Training loss\s*([\d.e+-]+)/i.exec(readout);
    assert.ok(m, readout);
    const step = Number(m[1]);
    assert.ok(step > 30 && step < 70, `hover at a quarter of the width reads step ${step}`);
    const expected = 4 * Math.exp(-step / 25) + 0.004 + 0.002 * Math.sin(step);
    assert.ok(Math.abs(Number(m[2]) - expected) / expected < 0.01, `read-out ${m[2]} vs ${expected}`);
    await page.screenshot({ path: path.join(repoRoot, '.tmp/line-chart-log.png') });
    // Linear: the y tick labels change (a log axis has decades, a linear one even steps).
    const logTicks = await loss.evaluate((el) => (el.querySelector('canvas') as HTMLCanvasElement).toDataURL());
    await toggle.uncheck();
    await loss.locator('canvas').waitFor();
    const linTicks = await loss.evaluate((el) => (el.querySelector('canvas') as HTMLCanvasElement).toDataURL());
    assert.notEqual(linTicks, logTicks, 'switching the scale redraws the chart');
    await page.screenshot({ path: path.join(repoRoot, '.tmp/line-chart-linear.png') });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
