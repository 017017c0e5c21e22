/**
 * Runs the PyTorch reference (bench/torch/bench_torch.py) in a subprocess, for `npm run bench` and
 * the GPU bundle: same shapes, same threads, same warm-up-then-median as bench/whisper.ts.
 *
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE may be set on the project's machines (older OpenBLAS
 * builds crash or compute wrong results on some CPUs without them); they also pin a slower
 * kernel, so they are removed for the torch subprocess alone and the result says so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Timing } from './whisper.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_PYTHON = '/usr/bin/python3';
const UNSET_FOR_TORCH = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

export interface TorchProbe {
  python: string;
  available: boolean;
  /** torch version, or why it cannot be used. */
  detail: string;
}

/** Whether `python -c 'import torch'` works; the reason when it does not. */
export function probeTorch(python = DEFAULT_PYTHON): TorchProbe {
  const r = spawnSync(python, ['-c', 'import torch, sys; sys.stdout.write(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { python, available: false, detail: `${python} cannot be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); install python3, or pass --python PATH` };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return { python, available: false, detail: `${python} cannot import torch (${last}); on Debian: apt-get install -y python3-torch libopenblas0-pthread` };
  }
  return { python, available: true, detail: `torch ${r.stdout.trim()}` };
}

export interface TorchBlas {
  kind: 'openblas' | 'mkl' | 'blis' | 'reference' | 'unknown';
  variant: string | null;
  torchBlasInfo: string | null;
  libraries: string[] | null;
  warnings: string[];
}

/** What bench_torch.py prints (only the fields read here are typed). */
export interface TorchRun {
  torch: string;
  threads: number;
  device: { type: 'cpu' | 'cuda'; name: string | null };
  blas: TorchBlas;
  env: Record<string, string | null>;
  /** encoder, greedy, decoderLora:<batch>, encDecLora */
  results: Record<string, Timing & { warmup: number }>;
  errors: Record<string, string>;
  /** Variables removed from this subprocess's environment (set in the parent). */
  unsetEnv: string[];
}

export interface TorchOptions {
  python?: string;
  checkpoint: string;
  threads: number;
  device?: 'cpu' | 'cuda' | 'auto';
  reps: number;
  budget: number;
  sot: number[];
  eot: number;
  greedyTokens: number;
  decoderBatches: number[];
  log?: (line: string) => void;
}

/** Runs the driver once (one size); resolves with its JSON, rejects with its last stderr line. */
export function runTorchReference(o: TorchOptions): Promise<TorchRun> {
  const script = path.join(HERE, 'torch', 'bench_torch.py');
  if (!existsSync(script)) return Promise.reject(new Error(`${script} is missing`));
  const env = { ...process.env };
  const unsetEnv = UNSET_FOR_TORCH.filter((k) => env[k] !== undefined);
  for (const k of UNSET_FOR_TORCH) delete env[k];
  const argv = [
    script, '--checkpoint', o.checkpoint, '--threads', String(o.threads), '--device', o.device ?? 'cpu',
    '--reps', String(o.reps), '--budget', String(o.budget), '--sot', o.sot.join(','), '--eot', String(o.eot),
    '--tokens', String(o.greedyTokens), '--decoder-batches', o.decoderBatches.join(','),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(o.python ?? DEFAULT_PYTHON, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let lastErr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      for (const line of s.split('\n').filter(Boolean)) {
        lastErr = line;
        o.log?.(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench_torch.py exited with ${code}: ${lastErr}`));
      try {
        resolve({ ...(JSON.parse(out) as TorchRun), unsetEnv });
      } catch (e) {
        reject(new Error(`bench_torch.py printed no JSON (${(e as Error).message})`));
      }
    });
  });
}

/** A one-line summary of the BLAS, with the reference BLAS shouted. */
export function describeBlas(b: TorchBlas): string {
  if (b.kind === 'reference') return '!!! REFERENCE BLAS (netlib) — ratios against it are MEANINGLESS; apt-get install libopenblas0-pthread !!!';
  const lib = b.libraries?.find((l) => /openblas|mkl|blis|libblas/.test(path.basename(l)));
  return `${b.kind}${b.variant ? ` (${b.variant})` : ''}${lib ? ` — ${lib}` : ''}`;
}
