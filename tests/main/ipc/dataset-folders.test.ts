/**
 * The Dataset page's folder import and export (`dataset.import` / `dataset.export`): real store,
 * real job processes, real files — the same code as `vocab-tuner data import|export`, run in a
 * job so decoding a folder never stalls the window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHandlers } from '../../../src-main/ipc/handlers.ts';
import { dispatch } from '../../../src-main/ipc/dispatch.ts';
import { JobHost } from '../../../src-main/jobs/host.ts';
import { closeStore, openStore } from '../../../src-main/store/store.ts';
import { tempDir, toneWav } from '../../helpers/store-fixtures.ts';

test('dataset.import brings a folder in (in a job), dataset.export writes an audiofolder; both refuse what they must', async () => {
  const dir = tempDir('vt-dataset-folders-');
  const store = openStore(path.join(dir, 'data'));
  const jobs = new JobHost(() => {});
  const events: string[] = [];
  const h = createHandlers({ store, jobs, mode: 'browser', emit: (e, p) => events.push(`${e}:${JSON.stringify(p)}`) });
  try {
    const src = path.join(dir, 'memos');
    fs.mkdirSync(src);
    for (let i = 0; i < 3; i++) {
      fs.writeFileSync(path.join(src, `memo-${i}.wav`), toneWav({ seconds: 1 + i * 0.5, rate: 44100, channels: 2, seed: i }));
      fs.writeFileSync(path.join(src, `memo-${i}.txt`), `memo number ${i}`);
    }
    const { jobId } = await h['dataset.import']({ path: src });
    const o = await jobs.wait(jobId);
    assert.equal(o.status, 'done', JSON.stringify(o.error));
    assert.deepEqual(o.result, { imported: 3, skipped: [] });
    const clips = await h['clips.list']({});
    assert.deepEqual(clips.map((c) => c.transcript).sort(), ['memo number 0', 'memo number 1', 'memo number 2']);
    assert.deepEqual(clips.map((c) => c.durationSec).sort(), [1, 1.5, 2]);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(events.includes('data.changed:{"what":"clips"}'), 'the page is told to reload');
    // All or nothing: importing the same clips again fails in the job with the store's code.
    const again = await jobs.wait((await h['dataset.import']({ path: src })).jobId);
    assert.equal(again.status, 'failed');
    assert.match(again.error!.message, /already/i);
    // Export into a new folder: a Hugging Face audiofolder with every clip.
    const out = path.join(dir, 'export');
    const e = await jobs.wait((await h['dataset.export']({ outDir: out })).jobId);
    assert.equal(e.status, 'done', JSON.stringify(e.error));
    const counts = (e.result as { counts: Record<string, number> }).counts;
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 3);
    const csvs = ['train', 'validation', 'test'].map((s) => path.join(out, s, 'metadata.csv')).filter((f) => fs.existsSync(f));
    assert.ok(csvs.length > 0);
    // A relative path is refused before any job starts.
    const bad = await dispatch(h, 'dataset.export', [{ outDir: 'relative/out' }]);
    assert.equal(!bad.ok && bad.error.code, 'INVALID_ARGUMENT');
  } finally {
    await jobs.close();
    closeStore(store);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
