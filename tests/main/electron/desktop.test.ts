/**
 * Desktop-only features in the compiled main process (dist-main/) under the Electron stand-in:
 * the native folder picker behind `app.pickFolder`, a real model download job (from a fake Hub on
 * 127.0.0.1) driving the taskbar progress and ending in a notification, and Remove for a model
 * (dry run first: what is deleted, what stays in the Hugging Face cache).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildMain, runCompiledMain } from '../../helpers/compiled-main.ts';
import { makeWhisperRepo, startFakeHub } from '../models/fake-hub.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

test('compiled app: folder picker, download progress + notification, Remove with its confirmation text', async () => {
  if (!existsSync(path.join(repoRoot, 'dist-main/electron/main.js'))) buildMain();
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-desktop-'));
  const repo = makeWhisperRepo('acme/whisper-desk', 'desk1', 512 * 1024);
  const hub = await startFakeHub([repo]);
  try {
    const picked = path.join(dir, 'exports');
    const script = [
      { call: 'app.pickFolder', args: [{ purpose: 'model-export' }] },
      { call: 'models.download', args: [{ repo: repo.id }] },
      { waitFor: 'Notification.show', ms: 90_000 },
      // The download handler records the first model as the base, then tells the page.
      { waitFor: 'webContents.send', match: { channel: 'vt-event:data.changed', payload: { what: 'models' } }, ms: 30_000 },
      { call: 'models.remove', args: [{ id: repo.id, dryRun: true }] },
      { call: 'models.remove', args: [{ id: repo.id }] },
    ];
    const hfHome = path.join(dir, 'hf');
    const { records, stderr, code } = await runCompiledMain({
      STAND_IN_USER_DATA: path.join(dir, 'user-data'),
      STAND_IN_SCRIPT: JSON.stringify(script),
      STAND_IN_DIALOG_PATH: picked,
      HF_HOME: hfHome,
      HF_ENDPOINT: hub.endpoint,
    });
    assert.equal(code, 0, stderr);
    assert.equal(records.find((r) => r.event === 'stand-in.error'), undefined, JSON.stringify(records.find((r) => r.event === 'stand-in.error')));
    const results = records.filter((r) => r.event === 'ipc.result') as unknown as { channel: string; result: { ok: boolean; value: any; error?: unknown } }[];
    // The picker: a native dialog attached to the window, for a folder it may create.
    const dialog = records.find((r) => r.event === 'dialog.showOpenDialog');
    assert.ok(dialog && dialog.hasWindow === true, JSON.stringify(dialog));
    assert.deepEqual(dialog.properties, ['openDirectory', 'createDirectory', 'promptToCreate']);
    assert.deepEqual(results[0].result, { ok: true, value: picked });
    // The download: progress on the icon while it ran, then a notification and the bar cleared.
    assert.equal(results[1].result.ok, true, JSON.stringify(results[1]));
    const bars = records.filter((r) => r.event === 'BrowserWindow.setProgressBar');
    assert.ok(bars.length >= 2, JSON.stringify(bars));
    assert.ok(bars.slice(0, -1).every((b) => (b.value as number) >= 0 && (b.value as number) <= 1 && b.mode === 'normal'), JSON.stringify(bars));
    assert.deepEqual(bars.at(-1), { event: 'BrowserWindow.setProgressBar', value: -1, mode: 'none' });
    const note = records.find((r) => r.event === 'Notification.show');
    assert.equal(note?.title, 'Model download finished');
    // Remove: the dry run says what goes and what stays; then it goes.
    const plan = results[2].result.value;
    assert.equal(results[2].result.ok, true, JSON.stringify(results[2]));
    assert.equal(plan.removed, false);
    assert.equal(plan.deletes.length, 1);
    assert.ok(plan.deletes[0].startsWith(path.join(hfHome, 'hub')) && plan.deletes[0].endsWith('models--acme--whisper-desk'), plan.deletes[0]);
    assert.ok(plan.bytes >= 512 * 1024, String(plan.bytes));
    assert.match(plan.keeps[0], /Every other model in the Hugging Face cache/);
    assert.ok(plan.keeps.some((k: string) => /base model/.test(k)), 'the first download became the base model, and the text says so');
    assert.equal(results[3].result.ok, true, JSON.stringify(results[3]));
    assert.equal(results[3].result.value.removed, true);
    assert.ok(!existsSync(plan.deletes[0]), 'the cache folder is gone');
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
