/**
 * A run's directory: run.json (config, metric history, timings, backend, status, change report),
 * checkpoint/ (everything needed to resume bit-for-bit: trainable weights, AdamW moments and step,
 * history) and the artefacts (adapter/ and best/). Every write is atomic: a crash leaves the
 * previous checkpoint intact, never a half-written one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.ts';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, writeSafetensors } from '../whisper/safetensors.ts';
import type { AdamW } from './optimizer.ts';

export interface HistoryPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  samplesPerSec: number;
}

export interface EvalPoint {
  step: number;
  valLoss: number;
  termLogprob: number | null;
  termRecall: number | null;
  generalLossDrift: number | null;
  score: number;
  guardOk: boolean;
}

export interface CheckpointState {
  step: number;
  optimizerStep: number;
  history: HistoryPoint[];
  evals: EvalPoint[];
  best: { step: number; score: number } | null;
  badEvals: number;
  elapsedSec: number;
}

/** Writes checkpoint/ via checkpoint.tmp/ + rename, so a kill mid-write keeps the old one. */
export async function saveCheckpoint(runDir: string, params: Map<string, tf.Variable>, opt: AdamW, state: CheckpointState): Promise<void> {
  const dir = join(runDir, 'checkpoint');
  const tmp = join(runDir, `checkpoint.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const host = async (m: Map<string, tf.Tensor>) => {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [k, t] of m) out.set(k, { shape: [...t.shape], data: (await t.data()) as Float32Array });
    return out;
  };
  await writeSafetensors(join(tmp, 'params.safetensors'), await host(params), { format: 'pt' });
  await writeSafetensors(join(tmp, 'adam_m.safetensors'), await host(opt.m), { format: 'pt' });
  await writeSafetensors(join(tmp, 'adam_v.safetensors'), await host(opt.v), { format: 'pt' });
  writeJsonAtomic(join(tmp, 'state.json'), { ...state, optimizerStep: opt.step });
  const old = join(runDir, `checkpoint.old-${process.pid}`);
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/**
 * A kill between saveCheckpoint's two renames leaves no checkpoint/ but a complete
 * checkpoint.tmp-* (state.json is written last, so its presence means complete) or the previous
 * checkpoint.old-*. Put the newest complete one back in place.
 */
function recover(runDir: string): void {
  const dir = join(runDir, 'checkpoint');
  if (existsSync(join(dir, 'state.json'))) return;
  const candidates = readdirSync(runDir)
    .filter((n) => /^checkpoint\.(tmp|old)-\d+$/.test(n) && existsSync(join(runDir, n, 'state.json')))
    .map((n) => ({ n, step: (JSON.parse(readFileSync(join(runDir, n, 'state.json'), 'utf8')) as CheckpointState).step }))
    .sort((a, b) => b.step - a.step);
  if (candidates.length === 0) return;
  rmSync(dir, { recursive: true, force: true });
  renameSync(join(runDir, candidates[0].n), dir);
}

export function hasCheckpoint(runDir: string): boolean {
  if (!existsSync(runDir)) return false;
  recover(runDir);
  return existsSync(join(runDir, 'checkpoint', 'state.json'));
}

/** Restores weights and optimizer moments in place; returns the saved state. */
export async function loadCheckpoint(runDir: string, params: Map<string, tf.Variable>, opt: AdamW): Promise<CheckpointState> {
  const dir = join(runDir, 'checkpoint');
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CheckpointState;
  const restore = async (file: string, into: Map<string, tf.Variable>) => {
    const saved = await readSafetensors(join(dir, file));
    for (const [k, v] of into) {
      const s = saved.get(k);
      if (!s) throw Object.assign(new Error(`checkpoint ${file} lacks ${k}: it belongs to a different run configuration`), { code: 'RESUME_MISMATCH' });
      const t = tf.tensor(s.data, s.shape);
      v.assign(t);
      t.dispose();
    }
  };
  await restore('params.safetensors', params);
  await restore('adam_m.safetensors', opt.m);
  await restore('adam_v.safetensors', opt.v);
  opt.step = state.optimizerStep;
  return state;
}
