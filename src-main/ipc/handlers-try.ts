/**
 * @file The API's Try-it side: `try.run` starts a try job (base vs a run's tuned model on one
 * utterance) and `try.result` hands its result to the renderer once the job is done (job events
 * carry no results). Results are kept in memory for the last few tries only; audio is never kept.
 */
import { UserError } from '../util/errors.ts';
import type { Store } from '../store/store.ts';
import { listRuns } from '../store/runs.ts';
import { listTerms } from '../store/terms.ts';
import type { JobHost } from '../jobs/host.ts';
import type { TryJobParams } from '../jobs/try-job.ts';
import { requireBaseModel, runBaseModelDir } from './base-model.ts';
import { jobEnv, readSettings } from './app-settings.ts';
import { runPaths } from '../tuning/run.ts';
import type { Handlers, TryResult } from './contract.ts';

const KEEP = 8;

export function tryHandlers(ctx: { store: Store; jobs: JobHost; projectId: number }): Pick<Handlers, 'try.run' | 'try.result'> {
  const results = new Map<string, TryResult | { error: { code: string; message: string } }>();
  return {
    'try.run': ({ pcm, sampleRate, runId, scale, expected, withPrompt }) => {
      const { store, projectId } = ctx;
      let modelDir: string;
      let adapterDir: string | null = null;
      if (runId !== null) {
        const r = listRuns(store.db, projectId).find((x) => x.id === runId);
        if (!r) throw new UserError('NOT_FOUND', `There is no run #${runId}; it may belong to another project.`);
        if (r.status !== 'succeeded') throw new UserError('RUN_NOT_DONE', `Run #${runId} has not finished; pick a finished run to try.`);
        modelDir = runBaseModelDir(store.db, projectId, r);
        adapterDir = runPaths(store.dataDir, runId).run;
      } else modelDir = requireBaseModel(store.db, projectId).dir;
      const terms = listTerms(store.db, projectId).map((t) => t.text);
      const params: TryJobParams = { modelDir, adapterDir, scale, pcm, sampleRate, terms, expected, withPrompt };
      const jobId = ctx.jobs.start('try', params, { env: jobEnv(readSettings(store.dataDir)) });
      void ctx.jobs.wait(jobId).then((o) => {
        if (o.status === 'done') results.set(jobId, o.result);
        else if (o.error) results.set(jobId, { error: o.error });
        while (results.size > KEEP) results.delete(results.keys().next().value!);
      });
      return { jobId };
    },
    'try.result': (jobId) => {
      const r = results.get(jobId);
      if (r && 'error' in r) throw new UserError(r.error.code, r.error.message);
      return r ?? null;
    },
  };
}
