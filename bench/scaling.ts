/**
 * Thread scaling of the wasm backend: the same measurements at 1 thread, each size in a child
 * process (the thread count is fixed when the backend starts), to set beside the main rows at N
 * threads. A figure for more cores than this machine has is a projection (Amdahl's law from the
 * measured 1 → N speed-up) and is labelled so.
 *
 * Child mode: `node --import tsx bench/scaling.ts --child SIZE_DIR REPS BUDGET` prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Timing } from './whisper.ts';

export interface ScalingRun {
  threads: number;
  encoder: Timing;
  decoderLora: Timing;
}

/** Runs the encoder and a decoder-LoRA step (batch `batch` × 32) at `threads` threads in a child. */
export function measureAtThreads(checkpoint: string, threads: number, batch: number, reps: number, budget: number): Promise<ScalingRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', checkpoint, String(batch), String(reps), String(budget)], {
      env: { ...process.env, VOCAB_TUNER_BACKEND: 'wasm', VOCAB_TUNER_THREADS: String(threads) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`scaling child exited with ${code}: ${err.slice(-300)}`))));
  });
}

/** Amdahl: the speed-up at `cores` given the measured speed-up `s` at `n` threads. */
export function amdahl(s: number, n: number, cores: number): number {
  // s = 1 / ((1 − p) + p / n)  ⇒  p = (1 − 1/s) / (1 − 1/n)
  const p = Math.min(1, Math.max(0, (1 - 1 / s) / (1 - 1 / n)));
  return 1 / (1 - p + p / cores);
}

if (process.argv[2] === '--child') {
  const [dir, batch, reps, budget] = process.argv.slice(3);
  const { initBackend } = await import('../src-main/compute/backend.ts');
  const { loadWhisper } = await import('../src-main/whisper/load.ts');
  const { benchEncoder, benchLoraStep } = await import('./whisper.ts');
  const choice = await initBackend('wasm');
  const { model, tokenizer } = await loadWhisper(dir);
  const encoder = await benchEncoder(model, Number(reps), Number(budget));
  const decoderLora = await benchLoraStep(model, tokenizer.special.eot, { batch: Number(batch), nTok: 32, stacks: ['decoder'] }, Number(reps), Number(budget));
  console.log(JSON.stringify({ threads: choice.threads ?? 1, encoder, decoderLora }));
  process.exit(0);
}
