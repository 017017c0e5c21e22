/**
 * Browser-mode notifications, end to end: `serve` in-process, Chromium with the notification
 * permission grantable, a real model download (from a fake Hub on 127.0.0.1) started on the
 * Models page. Nothing is shown before the user opts in on the Settings page; after it, the
 * finished download raises a browser Notification with the shared text. The page's Notification
 * constructor is wrapped (not replaced) so the test can see the calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, NEEDS_CHROMIUM } from '../helpers/chromium.ts';
import { ensureRendererBuilt } from '../../src-main/server/renderer-build.ts';
import { startServer } from '../../src-main/server/serve.ts';
import { makeWhisperRepo, startFakeHub } from '../main/models/fake-hub.ts';

test('browser mode: after the opt-in, a finished download raises a notification (and not before)', { skip: NEEDS_CHROMIUM, timeout: 180_000 }, async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vt-notify-'));
  const a = makeWhisperRepo('acme/whisper-note-a', 'na', 256 * 1024);
  const b = makeWhisperRepo('acme/whisper-note-b', 'nb', 256 * 1024);
  const hub = await startFakeHub([a, b]);
  // Job processes inherit the server's environment: the download goes to the fake Hub.
  Object.assign(process.env, { HF_HOME: path.join(tmp, 'hf'), HF_ENDPOINT: hub.endpoint });
  delete process.env.HF_HUB_OFFLINE;
  const server = await startServer({ dataDir: path.join(tmp, 'data'), rendererDir: await ensureRendererBuilt(), port: 0 });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    await context.grantPermissions(['notifications'], { origin: new URL(server.url).origin });
    await context.addInitScript(() => {
      const w = window as unknown as { __notes: { title: string; body?: string }[]; Notification: typeof Notification };
      w.__notes = [];
      const Real = w.Notification;
      w.Notification = class extends Real {
        constructor(title: string, opts?: NotificationOptions) {
          super(title, opts);
          w.__notes.push({ title, body: opts?.body });
        }
      } as typeof Notification;
      // The user is in another tab or window.
      document.hasFocus = () => false;
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    const download = async (repo: string) => {
      await nav.getByRole('link', { name: 'Models', exact: true }).click();
      await page.getByLabel('Hugging Face model').fill(repo);
      await page.getByRole('button', { name: 'Download', exact: true }).click();
      await page.getByRole('table', { name: 'Models' }).getByRole('row', { name: new RegExp(repo) }).getByText('yes').waitFor({ timeout: 90_000 });
    };
    // Not opted in: a finished download stays silent.
    await download(a.id);
    await page.waitForTimeout(500);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes), []);
    // Opt in on Settings (the permission is already granted for this origin), then download again.
    await nav.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('checkbox', { name: 'Notify me when long jobs finish' }).check();
    await download(b.id);
    await page.waitForFunction(() => (window as unknown as { __notes: unknown[] }).__notes.length > 0, null, { timeout: 30_000 });
    const notes = await page.evaluate(() => (window as unknown as { __notes: { title: string; body?: string }[] }).__notes);
    assert.deepEqual(notes, [{ title: 'Model download finished', body: 'The model is downloaded and ready to use.' }]);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
    await hub.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
