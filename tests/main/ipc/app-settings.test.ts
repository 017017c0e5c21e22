/**
 * The app's settings file and what reaches a job process: the backend as VOCAB_TUNER_BACKEND and
 * the CPU thread count as VOCAB_TUNER_THREADS (read by compute/wasm-threads.ts in the job).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, jobEnv, readSettings, writeSettings } from '../../../src-main/ipc/app-settings.ts';
import { requestedThreads } from '../../../src-main/compute/wasm-threads.ts';

test('threads: 0 leaves the job to use every core; a number reaches the job as VOCAB_TUNER_THREADS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vt-settings-'));
  try {
    assert.deepEqual(readSettings(dir), DEFAULT_SETTINGS);
    assert.deepEqual(jobEnv(readSettings(dir)), {});
    const s = writeSettings(dir, { threads: 3 });
    assert.deepEqual(s, { backend: 'auto', threads: 3 });
    assert.deepEqual(readSettings(dir), s, 'written and read back');
    const env = jobEnv(writeSettings(dir, { backend: 'wasm' }));
    assert.deepEqual(env, { VOCAB_TUNER_BACKEND: 'wasm', VOCAB_TUNER_THREADS: '3' });
    assert.equal(requestedThreads(env), 3, 'the job side reads the same number');
    // A hand-edited file with a nonsense value falls back to the default rather than stopping the app.
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ backend: 'wasm', threads: 'lots' }));
    assert.deepEqual(readSettings(dir), { backend: 'wasm', threads: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
