/**
 * @file The API's cluster-recipe side: `runs.exportRecipe` writes a finished run's recipe folder
 * (transformers + PEFT + accelerate, see src-main/recipe/) in a job process.
 */
import { UserError } from '../util/errors.ts';
import type { Store } from '../store/store.ts';
import { listRuns } from '../store/runs.ts';
import type { JobHost } from '../jobs/host.ts';
import type { RecipeJobParams } from '../jobs/recipe-job.ts';
import { readRunRecord, runPaths } from '../tuning/run.ts';
import type { Handlers } from './contract.ts';


export function recipeHandlers(ctx: { store: Store; jobs: JobHost; projectId: number }): Pick<Handlers, 'runs.exportRecipe'> {
  return {
    'runs.exportRecipe': ({ runId, outDir }) => {
      const r = listRuns(ctx.store.db, ctx.projectId).find((x) => x.id === runId);
      if (!r) throw new UserError('NOT_FOUND', `There is no run #${runId}; it may belong to another project.`);
      const p = runPaths(ctx.store.dataDir, runId);
      if (!readRunRecord(p.run)) throw new UserError('RUN_NOT_STARTED', `Run #${runId} has no run.json yet (it never started training), so there are no settings to export.`);
      const params: RecipeJobParams = { runDir: p.run, outDir };
      return { jobId: ctx.jobs.start('recipe', params) };
    },
  };
}
