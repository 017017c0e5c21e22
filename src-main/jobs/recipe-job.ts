/**
 * @file Job: write a run's cluster recipe (`vocab-tuner export-recipe`) from the app. A job because
 * it rewrites every clip and may copy the base model (GB for a large one): the serving process
 * never blocks on that.
 *
 *   params: { runDir, outDir }    result: { out, counts, general, includedModel, baseModel }
 */
import { exportRecipe, sourceFromRun } from '../recipe/write.ts';
import type { JobContext } from './protocol.ts';

export interface RecipeJobParams {
  runDir: string;
  outDir: string;
}

export async function run(p: RecipeJobParams, ctx: JobContext): Promise<{ out: string; counts: Record<string, number>; general: number; includedModel: boolean; baseModel: string }> {
  ctx.progress({ done: 0, total: 1, message: 'reading the run' });
  const r = await exportRecipe(sourceFromRun(p.runDir), p.outDir, {
    onProgress: (done, total) => ctx.progress({ done, total, message: `writing clip ${done} of ${total}` }),
  });
  return { out: r.out, counts: r.dataset.counts, general: r.dataset.general, includedModel: r.includedModel, baseModel: r.config.base_model };
}
