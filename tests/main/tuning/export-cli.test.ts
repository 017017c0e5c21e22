/**
 * `vocab-tuner export --format hf|peft` as a real process on the fixture model: JSON output, the
 * merged folder loads, and a full model given to --format peft is refused with a code and a fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadCheckpoint } from '../../../src-main/whisper/checkpoint.ts';
import { DEFAULT_LORA, LoraAdapter } from '../../../src-main/tuning/lora.ts';
import { readPeftAdapter, writePeftAdapter } from '../../../src-main/tuning/peft.ts';
import { MICRO_F32, NEEDS_REFERENCE, REPO_ROOT } from '../../helpers/reference.ts';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin/vocab-tuner.mjs'), ...args], { cwd: REPO_ROOT }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

test('CLI export: --format hf merges, --format peft re-exports at a scale, a full model is refused for peft', { skip: NEEDS_REFERENCE }, async () => {
  await tf.setBackend('cpu');
  const root = mkdtempSync(join(tmpdir(), 'vt-export-cli-'));
  const peft = join(root, 'peft');
  const merged = join(root, 'merged');
  const dims = (await loadCheckpoint(MICRO_F32)).dims;
  const adapter = new LoraAdapter(DEFAULT_LORA, dims, 2);
  let i = 0;
  for (const p of adapter.modules.values()) tf.tidy(() => p.B.assign(tf.randomNormal(p.B.shape, 0, 0.05, 'float32', 400 + i++)));
  await writePeftAdapter(adapter, peft, { baseModel: 'whisper-micro-en', dims });
  adapter.dispose();

  const hf = await cli(['export', '--model', MICRO_F32, '--adapter', peft, '--format', 'hf', '--out', merged, '--json']);
  assert.equal(hf.code, 0, hf.stderr);
  const r = JSON.parse(hf.stdout);
  assert.equal(r.format, 'hf');
  assert.equal(r.adapter_kind, 'peft');
  assert.ok(r.bytes > 0);
  const ck = await loadCheckpoint(merged);
  assert.deepEqual(ck.dims, dims);

  const half = join(root, 'half');
  const pe = await cli(['export', '--model', MICRO_F32, '--adapter', peft, '--format', 'peft', '--adapter-scale', '0.5', '--out', half, '--json']);
  assert.equal(pe.code, 0, pe.stderr);
  const [a, h] = [await readPeftAdapter(peft, dims), await readPeftAdapter(half, dims)];
  for (const [m, p] of a.pairs) assert.deepEqual(h.pairs.get(m)!.B.data, p.B.data.map((v) => v * 0.5));

  const bad = await cli(['export', '--model', MICRO_F32, '--adapter', merged, '--format', 'peft', '--out', join(root, 'p2')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /error \[ADAPTER_NOT_LORA\]: .* is a full model, not a LoRA adapter/);
  rmSync(root, { recursive: true, force: true });
});
