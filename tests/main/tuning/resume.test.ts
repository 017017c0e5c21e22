/**
 * Crash-resume: a `vocab-tuner tune` process is killed with SIGKILL at a random step, then
 * `--resume` finishes the run; its adapter must equal an uninterrupted run's within float
 * tolerance (data order, augmentation and dropout are pure functions of seed and step).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readSafetensors } from '../../../src-main/whisper/safetensors.ts';
import { hasTool } from '../../helpers/speech.ts';
import { makeTermDataset } from '../../helpers/term-dataset.ts';
import { MICRO_F32, NEEDS_REFERENCE, REPO_ROOT } from '../../helpers/reference.ts';

const skip = NEEDS_REFERENCE || (!hasTool('espeak-ng') && 'needs espeak-ng (apt-get install espeak-ng)');
const STEPS = 10;

/** Runs the CLI; with killAtStep, SIGKILLs it right after that step's event. Returns the exit info. */
function runTune(args: string[], killAtStep?: number): Promise<{ code: number | null; signal: string | null; lastStep: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/vocab-tuner.mjs'), 'tune', ...args, '--json', '--backend', 'wasm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastStep = 0;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line);
      if (e.type === 'step') {
        lastStep = e.step;
        if (killAtStep !== undefined && e.step >= killAtStep) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code && code !== 0) reject(new Error(`tune exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ code, signal, lastStep });
    });
  });
}

test('SIGKILL mid-run, then --resume, gives the same adapter as an uninterrupted run', { skip, timeout: 20 * 60_000 }, async () => {
  const data = await makeTermDataset(mkdtempSync(join(tmpdir(), 'vt-resume-data-')));
  const common = ['--model', MICRO_F32, '--data', data, '--steps', String(STEPS), '--batch', '2', '--checkpoint-every', '2', '--lr', '5e-3', '--seed', '7', '--term', 'PyTorch', '--no-eval-decode'];
  const straight = mkdtempSync(join(tmpdir(), 'vt-resume-a-'));
  await runTune([...common, '--out', straight]);

  const crashed = mkdtempSync(join(tmpdir(), 'vt-resume-b-'));
  const killAt = 3 + Math.floor(Math.random() * (STEPS - 4)); // somewhere in the middle, often between checkpoints
  const killed = await runTune([...common, '--out', crashed], killAt);
  assert.equal(killed.signal, 'SIGKILL', 'the first process must really be killed');
  console.log(`killed at step ${killed.lastStep} of ${STEPS}; resuming`);
  await runTune(['--model', MICRO_F32, '--data', data, '--out', crashed, '--resume']);

  const a = await readSafetensors(join(straight, 'adapter', 'adapter_model.safetensors'));
  const b = await readSafetensors(join(crashed, 'adapter', 'adapter_model.safetensors'));
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  let worst = 0;
  let scale = 0;
  for (const [name, t] of a) {
    const u = b.get(name)!;
    for (let i = 0; i < t.data.length; i++) {
      worst = Math.max(worst, Math.abs(t.data[i] - u.data[i]));
      scale = Math.max(scale, Math.abs(t.data[i]));
    }
  }
  console.log(`adapter max |Δ| between resumed and uninterrupted runs: ${worst.toExponential(2)} (weights up to ${scale.toFixed(3)})`);
  assert.ok(scale > 0, 'the adapter must have trained');
  assert.ok(worst <= 1e-5 * Math.max(1, scale), `resumed adapter differs by ${worst}`);
});
