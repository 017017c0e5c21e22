/**
 * The `one-click` row of `npm run bench`: what the app's Tune button does — the trainer's preset
 * (`trainerConfig(null, terms)`, the same config the button sends) — on a random-weight checkpoint
 * of real dimensions and 48 espeak-ng clips (30 train, 4 validation, 14 general), timed end to end
 * with the run's own stage breakdown (tuning/stages.ts: load, features, steps, validation,
 * export). Each size runs in a child process so the thread count and the wasm heap are the run's
 * own, as in the app's job process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StageSeconds } from '../src-main/tuning/stages.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const TERMS = ['PyTorch', 'CUDA'];
const TERM_SENTENCES = [
  'I train my models in PyTorch.', 'PyTorch makes tensors easy.', 'We moved the project to PyTorch.', 'PyTorch runs on the graphics card.',
  'She wrote the layer in PyTorch.', 'The PyTorch code is on the server.', 'Install PyTorch before the lesson.', 'PyTorch and the loader work well.',
  'The kernel needs CUDA to run.', 'CUDA makes the card compute.', 'Update CUDA before you train.', 'Our CUDA version is too old.',
  'He wrote a CUDA kernel today.', 'CUDA and PyTorch work together.', 'The CUDA driver crashed again.', 'Check the CUDA path first.',
  'PyTorch needs CUDA for speed.', 'My laptop has no CUDA card.', 'We test PyTorch every night.', 'The PyTorch model is ready.',
];
const CONTROL = [
  'The weather is nice today.', 'Please open the window.', 'My dog sleeps all afternoon.', 'We had soup for dinner.', 'The train was late again.',
  'Put the books on the shelf.', 'She walked to the market.', 'The meeting starts at nine.', 'I like green tea.', 'The garden needs water.',
  'He plays the piano well.', 'We watched a film last night.', 'The bus stops here.', 'Turn left at the bridge.', 'The soup is too hot.',
  'Call me in the morning.', 'The shop closes early.', 'My sister lives abroad.', 'The road is wet.', 'Bring an umbrella.',
  'The cat is on the roof.', 'Lunch is ready.', 'The phone is ringing.', 'Close the door please.',
];
const HELDOUT_TERM = ['Our team prefers PyTorch.', 'He fixed the CUDA import.', 'PyTorch is on the cluster.', 'Is CUDA installed here?'];

/** 30 train (20 term + 10 control), 4 validation (term), 14 general (control): 48 clips. */
async function makeDataset(dir: string): Promise<string> {
  if (existsSync(path.join(dir, 'metadata.csv'))) return dir;
  const { speakMany } = await import('../tests/helpers/speech.ts');
  const rows: [string, string, string][] = [];
  TERM_SENTENCES.forEach((t, i) => rows.push([`term-${i}.wav`, t, 'train']));
  CONTROL.slice(0, 10).forEach((t, i) => rows.push([`control-${i}.wav`, t, 'train']));
  HELDOUT_TERM.forEach((t, i) => rows.push([`heldout-${i}.wav`, t, 'validation']));
  CONTROL.slice(10).forEach((t, i) => rows.push([`general-${i}.wav`, t, 'general']));
  mkdirSync(dir, { recursive: true });
  await speakMany(rows.map(([name, text]) => ({ name, text })), dir);
  writeFileSync(path.join(dir, 'metadata.csv'), ['file_name,transcription,split', ...rows.map(([f, t, s]) => `${f},"${t}",${s}`)].join('\n') + '\n');
  return dir;
}

export interface OneClickRun {
  size: string;
  threads: number;
  clips: number;
  steps: number;
  /** Wall seconds of the whole tune() call, model load to adapter written. */
  wallSec: number;
  stages: StageSeconds;
  encoderPasses: number;
  backend: string;
}

/**
 * Runs the preset once in a child process (bench/one-click-child.ts) and returns its record.
 * `checkpoint` is a model folder (random weights of the size's real dimensions).
 */
export async function benchOneClick(size: string, checkpoint: string, threads: number, log: (s: string) => void): Promise<OneClickRun> {
  const data = await makeDataset(path.join(os.tmpdir(), 'vocab-tuner-bench', 'one-click-data'));
  const out = path.join(os.tmpdir(), 'vocab-tuner-bench', `one-click-run-${size}-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'one-click-child.ts'), checkpoint, data, out, TERMS.join(',')], {
        env: { ...process.env, VOCAB_TUNER_BACKEND: 'wasm', VOCAB_TUNER_THREADS: String(threads) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => {
        stderr += d;
        const last = String(d).trim().split('\n').pop();
        if (last) log(`one-click ${size}: ${last}`);
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout.trim().split('\n').pop() ?? '') : reject(new Error(`one-click ${size} exited with ${code}: ${stderr.slice(-400)}`))));
    });
    return { size, ...(JSON.parse(line) as Omit<OneClickRun, 'size'>) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
