/**
 * Full fine-tuning through the CLI: the per-layer change report is printed and stored in run.json,
 * the merged export loads, and --adapter-scale 0 gives exactly the base model's log-probs.
 * Also: the tensor count stays flat across 200 LoRA steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { defaultConfig, tune } from '../../../src-main/tuning/trainer.ts';
import { hasTool } from '../../helpers/speech.ts';
import { makeTermDataset } from '../../helpers/term-dataset.ts';
import { JFK_TEXT, JFK_WAV, MICRO_F32, NEEDS_REFERENCE, REPO_ROOT } from '../../helpers/reference.ts';

const skip = NEEDS_REFERENCE || (!hasTool('espeak-ng') && 'needs espeak-ng (apt-get install espeak-ng)');
const cli = (...args: string[]) => execFileSync(process.execPath, [join(REPO_ROOT, 'bin/vocab-tuner.mjs'), ...args, '--backend', 'wasm'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('full fine-tune prints and stores the change report; --adapter-scale 0 is exactly the base', { skip, timeout: 20 * 60_000 }, () => {
  const data = mkdtempSync(join(tmpdir(), 'vt-full-data-'));
  return makeTermDataset(data).then(() => {
    const out = join(mkdtempSync(join(tmpdir(), 'vt-full-')), 'run');
    const printed = cli('tune', '--model', MICRO_F32, '--data', data, '--out', out, '--method', 'full', '--steps', '2', '--batch', '1', '--lr', '1e-3', '--no-augment', '--no-eval-decode');
    assert.match(printed, /What changed/);
    assert.match(printed, /encoder\.conv1/);
    assert.match(printed, /decoder\.layers\.1\.mlp/);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.equal(run.status, 'completed');
    assert.equal(run.history.length, 2);
    const rows: { group: string; relative: number | null }[] = run.changeReport;
    assert.ok(rows.length > 20);
    assert.ok(rows.filter((r) => r.group !== 'encoder.embed_positions').every((r) => (r.relative ?? 0) > 0), 'full tuning changes every trainable group');
    assert.equal(rows.find((r) => r.group === 'encoder.embed_positions')!.relative, 0, 'the fixed sinusoids never train');
    const probe = (...extra: string[]) => JSON.parse(cli('probe', '--model', MICRO_F32, '--audio', JFK_WAV, '--text', JFK_TEXT, '--json', ...extra)).tokens.map((t: { logprob: number }) => t.logprob);
    const base = probe();
    assert.deepEqual(probe('--adapter', join(out, 'adapter'), '--adapter-scale', '0'), base, 'scale 0 must be exactly the base');
    const tuned = probe('--adapter', join(out, 'adapter'));
    assert.notDeepEqual(tuned, base);
  });
});

test('tensor count is flat across 200 LoRA steps', { skip, timeout: 30 * 60_000 }, async () => {
  await initBackend('wasm');
  const data = await makeTermDataset(mkdtempSync(join(tmpdir(), 'vt-flat-data-')));
  const c = defaultConfig();
  Object.assign(c, { steps: 200, batchSize: 1, evalDecode: false, checkpointEvery: 100, terms: ['PyTorch'] });
  c.augment = { ...c.augment, variants: 2 };
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  await tune({ modelDir: MICRO_F32, dataDir: data, outDir: join(mkdtempSync(join(tmpdir(), 'vt-flat-')), 'run'), config: c, onEvent: (e) => e.type === 'step' && counts.push(tf.memory().numTensors) });
  console.log(`tensors during the run: step 1 ${counts[0]}, step 100 ${counts[99]}, step 200 ${counts[199]}; after the run ${tf.memory().numTensors} (before ${before})`);
  assert.equal(counts.length, 200);
  assert.ok(counts.every((n) => n === counts[0]), `tensor count moved: ${[...new Set(counts)].join(', ')}`);
  assert.equal(tf.memory().numTensors, before, 'everything the run made is disposed at the end');
});
