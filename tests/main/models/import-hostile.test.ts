/**
 * `models import` / the app's Models page with folders that must not be imported (issue 11,
 * problems 7 and 12): a sparse weights file (copied in full before, its holes read as zeros), NaN
 * weights (accepted without a word before), and a FIFO in the folder (hung the import before).
 * Each is refused with its own code, naming the file (and tensor), and nothing reaches the cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importLocalModel } from '../../../src-main/models/import-local.ts';
import { readSafetensors, writeSafetensors } from '../../../src-main/whisper/safetensors.ts';
import { MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

function copyFixture(): { dir: string; cache: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-mimport-'));
  const dir = path.join(root, 'my-model');
  fs.mkdirSync(dir);
  for (const f of fs.readdirSync(MICRO_F32)) fs.copyFileSync(path.join(MICRO_F32, f), path.join(dir, f));
  return { dir, cache: path.join(root, 'hub') };
}

async function refused(dir: string, cache: string, code: string, says: RegExp): Promise<void> {
  const t = Date.now();
  await assert.rejects(importLocalModel(dir, { cacheDir: cache }), (e: any) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message, says);
    return true;
  });
  assert.ok(Date.now() - t < 15_000, `took ${Date.now() - t} ms`);
  assert.equal(fs.existsSync(cache), false, 'nothing was written to the cache');
}

test('NaN weights are refused naming the tensor', { skip: NEEDS_REFERENCE }, async () => {
  const { dir, cache } = copyFixture();
  const file = path.join(dir, 'model.safetensors');
  const w = await readSafetensors(file);
  const name = 'model.decoder.layers.1.fc2.weight';
  const t = w.get(name)!;
  t.data[7] = NaN;
  t.data[9] = Infinity;
  await writeSafetensors(file, new Map([...w].map(([k, v]) => [k, { shape: v.shape, data: v.data }])));
  await refused(dir, cache, 'CHECKPOINT_INVALID', new RegExp(`tensor "${name.replace(/\./g, '\\.')}".*2 non-finite value\\(s\\) \\(the first, at index 7, is NaN\\)`));
});

test('a sparse weights file is refused before anything is copied', { skip: NEEDS_REFERENCE }, async (t) => {
  const { dir, cache } = copyFixture();
  const file = path.join(dir, 'model.safetensors');
  fs.truncateSync(file, 4 * 1024 ** 3); // 4 GB of holes after the real data
  const st = fs.statSync(file);
  if (typeof st.blocks !== 'number' || st.blocks * 512 >= st.size / 2) return t.skip('this filesystem does not make sparse files');
  await refused(dir, cache, 'MODEL_FILE_SPARSE', /model\.safetensors is a sparse file: 4\.\d GB long but only \d+(\.\d)? MB on disk/);
});

test('a FIFO in a model folder is refused, not waited on', { skip: NEEDS_REFERENCE || (process.platform === 'win32' && 'POSIX only') }, async () => {
  const { dir, cache } = copyFixture();
  fs.unlinkSync(path.join(dir, 'tokenizer.json'));
  execFileSync('mkfifo', [path.join(dir, 'tokenizer.json')]);
  await refused(dir, cache, 'NOT_A_REGULAR_FILE', /tokenizer\.json is a named pipe \(FIFO\)/);
});

test('the untouched fixture still imports (the checks pass real models)', { skip: NEEDS_REFERENCE }, async () => {
  const { dir, cache } = copyFixture();
  const r = await importLocalModel(dir, { cacheDir: cache });
  assert.equal(r.repo, 'local/my-model');
  assert.ok(fs.existsSync(path.join(r.snapshotDir, 'model.safetensors')));
});
