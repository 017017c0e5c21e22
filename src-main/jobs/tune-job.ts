/**
 * @file Job: one tuning run (the trainer on an exported dataset), in a job process so the window
 * and the server stay responsive. Trainer events become job progress: steps drive the bar, `loss`
 * and `termLogprob` (the summed log-probability of the vocabulary's tokens on validation clips
 * at each evaluation) feed the live charts; the trainer's own ETA is used because it excludes
 * model and audio loading.
 *
 *   params: { modelDir, dataDir, outDir, config: trainer TuneConfig }
 *   result: { runDir, status: 'completed' | 'early-stopped' | 'cancelled' }
 */
import { backendFromEnv, initBackend } from '../compute/backend.ts';
import { tune, type TuneEvent } from '../tuning/trainer.ts';
import type { TuneConfig } from '../tuning/config.ts';
import type { JobContext, JobProgress } from './protocol.ts';
import { formatStages } from '../tuning/stages.ts';

export interface TuneJobParams {
  modelDir: string;
  dataDir: string;
  outDir: string;
  config: TuneConfig;
  /** Continue from the run folder's checkpoint (after a crash, kill or cancel). */
  resume?: boolean;
}

/** Trainer event → job progress (null: nothing to report). Pure, exported for tests. */
export function progressOf(e: TuneEvent): JobProgress | null {
  switch (e.type) {
    case 'prepare':
      // A stage before training (loading audio, encoding clips): the bar shows that stage's own
      // progress and the message names it, so the page says which stage the run is in.
      return { done: e.done, total: Math.max(1, e.total), message: `${e.stage} ${e.done}/${e.total}`, etaSec: e.etaSec ?? null };
    case 'start':
      return {
        done: e.resumedFrom ?? 0,
        total: e.totalSteps,
        message: `training ${e.trainable.toLocaleString('en-US')} parameters on ${e.trainClips} clips (${e.validationClips} validation, ${e.generalClips} general) with ${e.backend}`,
        etaSec: null,
      };
    case 'step':
      return { done: e.step, total: e.totalSteps, message: `step ${e.step}/${e.totalSteps} · loss ${e.loss.toFixed(3)}`, metrics: { loss: e.loss }, etaSec: e.etaSec };
    case 'eval': {
      const metrics: Record<string, number> = { valLoss: e.valLoss };
      if (e.termLogprob !== null) metrics.termLogprob = e.termLogprob;
      if (e.termRecall !== null) metrics.termRecall = e.termRecall;
      return { done: e.step, total: Number.NaN, message: `evaluated at step ${e.step}${e.guardOk ? '' : ' (general speech drifted: not kept as best)'}`, metrics };
    }
    case 'done':
      return { done: e.steps, total: e.steps, message: `done after ${e.steps} steps${e.best ? `; best at step ${e.best.step}` : ''}; ${formatStages(e.stages)}`, etaSec: 0 };
    default:
      return null;
  }
}

export async function run(params: TuneJobParams, ctx: JobContext): Promise<{ runDir: string; status: string }> {
  await initBackend(backendFromEnv());
  let total = 1;
  return tune({
    ...params,
    signal: ctx.signal,
    onEvent: (e) => {
      const p = progressOf(e);
      if (!p) return;
      // An eval event has no total of its own: keep the bar where the steps put it.
      if (Number.isNaN(p.total)) p.total = total;
      else total = p.total;
      ctx.progress(p);
    },
  });
}
