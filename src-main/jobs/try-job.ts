/**
 * @file Job: Try it (the app's Try page) — one utterance through the base and a tuned model with
 * the comparison's ModelRunner (`eval/try-live.ts`). The audio arrives at the microphone's rate
 * and is resampled here, off the serving process.
 *
 *   params: { modelDir, adapterDir, scale, pcm, sampleRate, terms, expected?, withPrompt? }
 *   result: TryResult (contract.ts)
 */
import { backendFromEnv, initBackend } from '../compute/backend.ts';
import { SAMPLE_RATE } from '../audio/constants.ts';
import { resample } from '../audio/resample.ts';
import { ModelRunner } from '../eval/run-models.ts';
import { tryUtterance } from '../eval/try-live.ts';
import type { TryResult } from '../ipc/contract.ts';
import type { JobContext } from './protocol.ts';

export interface TryJobParams {
  modelDir: string;
  adapterDir: string | null;
  scale: number;
  pcm: Float32Array;
  sampleRate: number;
  terms: string[];
  expected?: string;
  withPrompt?: boolean;
}

export async function run(p: TryJobParams, ctx: JobContext): Promise<TryResult> {
  const steps = 2 + (p.adapterDir ? 1 : 0);
  ctx.progress({ done: 0, total: steps, message: 'loading the models' });
  const samples = p.sampleRate === SAMPLE_RATE ? p.pcm : resample(p.pcm, p.sampleRate, SAMPLE_RATE);
  await initBackend(backendFromEnv());
  const t0 = performance.now();
  const runner = await ModelRunner.open(p.modelDir, { language: 'en' });
  try {
    if (p.adapterDir) await runner.prepareAdapters([p.adapterDir]);
    const loadMs = Math.round(performance.now() - t0);
    ctx.progress({ done: 1, total: steps, message: 'transcribing' });
    const r = await tryUtterance(runner, samples, { adapter: p.adapterDir, scale: p.scale, terms: p.terms, expected: p.expected, withPrompt: p.withPrompt, signal: ctx.signal });
    return { ...r, loadMs };
  } finally {
    runner.dispose();
  }
}
