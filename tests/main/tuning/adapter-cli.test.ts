/**
 * The user-facing path, as real processes: `probe --adapter DIR --adapter-scale S` on the fixture
 * model. Scale 0 must print byte-identical probe JSON to the base model for both adapter forms
 * (a PEFT folder and a merged HF folder); scale 1 must not.
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
import { writePeftAdapter } from '../../../src-main/tuning/peft.ts';
import { exportHf } from '../../../src-main/tuning/export.ts';
import { JFK_WAV, MICRO_F32, NEEDS_REFERENCE, REPO_ROOT } from '../../helpers/reference.ts';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin/vocab-tuner.mjs'), ...args], { cwd: REPO_ROOT, env: { ...process.env, VOCAB_TUNER_BACKEND: 'wasm' }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

test('CLI probe --adapter-scale 0 = base, byte for byte, for a PEFT and a merged adapter folder', { skip: NEEDS_REFERENCE }, async () => {
  await tf.setBackend('cpu');
  const root = mkdtempSync(join(tmpdir(), 'vt-adapter-cli-'));
  const peft = join(root, 'peft');
  const merged = join(root, 'merged');
  const dims = (await loadCheckpoint(MICRO_F32)).dims;
  const adapter = new LoraAdapter(DEFAULT_LORA, dims, 1);
  let i = 0;
  for (const p of adapter.modules.values()) tf.tidy(() => p.B.assign(tf.randomNormal(p.B.shape, 0, 0.05, 'float32', 300 + i++)));
  await writePeftAdapter(adapter, peft, { baseModel: 'whisper-micro-en', dims });
  adapter.dispose();

  await exportHf({ modelDir: MICRO_F32, adapter: peft, out: merged });

  const probe = (extra: string[]) => cli(['probe', '--model', MICRO_F32, '--audio', JFK_WAV, '--text', ' And so my fellow Americans', '--json', ...extra]);
  const [base, m0, p0, p1] = await Promise.all([
    probe([]),
    probe(['--adapter', merged, '--adapter-scale', '0']),
    probe(['--adapter', peft, '--adapter-scale', '0']),
    probe(['--adapter', peft]),
  ]);
  for (const x of [base, m0, p0, p1]) assert.equal(x.code, 0, x.stderr);
  assert.equal(m0.stdout, base.stdout, 'merged folder at scale 0 = base, byte for byte');
  assert.equal(p0.stdout, base.stdout, 'PEFT adapter at scale 0 = base, byte for byte');
  assert.notEqual(p1.stdout, base.stdout, 'the adapter at scale 1 changes the log-probs');
  const lp = (s: string) => JSON.parse(s).total_logprob as number;
  console.log(`probe total log-prob: base ${lp(base.stdout).toFixed(4)}, adapter ${lp(p1.stdout).toFixed(4)}`);
  rmSync(root, { recursive: true, force: true });
});
