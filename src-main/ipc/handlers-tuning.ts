/**
 * @file The API's tuning side: start, resume, list and read runs, compare a run against its base,
 * and pre-label clips with the base model. A run's life (folder, record, store rows, recovery)
 * is `tuning/run.ts`; the trainer config and the preset are `tuning/config.ts`; every long step is
 * a job (`jobs/*-job.ts`). This file decides what to run, one at a time, and reports events.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import type { Store } from '../store/store.ts';
import { listTerms } from '../store/terms.ts';
import { listRecordings } from '../store/recordings.ts';
import { storePrelabels } from '../store/transcripts.ts';
import { listRuns, setRunStatus } from '../store/runs.ts';
import { presetSettings } from '../tuning/config.ts';
import { apiStatus, finishRun, ownRun, recoverInterruptedRuns, resumeRun, runDetail, runPaths, runSummary, startRun, type StartedRun } from '../tuning/run.ts';
import { DEFAULT_TRADE_OFF_SCALES } from '../eval/grid.ts';
import type { JobHost } from '../jobs/host.ts';
import { requireBaseModel, runBaseModelDir } from './base-model.ts';
import { jobEnv, readSettings } from './app-settings.ts';
import type { CompareReport, Events, Handlers } from './contract.ts';

/**
 * A cancelled tuning job stops at its next step boundary and saves a checkpoint; a step of a large
 * model on a CPU backend can take tens of seconds, so it gets that long before it is killed.
 */
const TUNE_CANCEL_GRACE_MS = 120_000;

export interface TuningContext {
  store: Store;
  jobs: JobHost;
  projectId: number;
  emit<E extends keyof Events>(event: E, payload: Events[E]): void;
}

type TuningHandlers = Pick<Handlers, 'runs.list' | 'runs.get' | 'runs.resume' | 'tune.preset' | 'tune.start' | 'compare.run' | 'compare.get' | 'clips.prelabel'>;

export function tuningHandlers(ctx: TuningContext): TuningHandlers {
  const { store, projectId } = ctx;
  const env = () => jobEnv(readSettings(store.dataDir));
  let tuning: string | null = null;
  const comparing = new Set<number>();
  let labelling: string | null = null;

  recoverInterruptedRuns(store, projectId);

  const notBusy = () => {
    if (tuning) throw new UserError('BUSY', 'A tuning run is already in progress; wait for it to finish or cancel it first.');
  };

  /** Marks the run running, trains it in a job process, and records the outcome when the job ends. */
  function train({ run, baseModelId, params }: StartedRun): { runId: number; jobId: string } {
    setRunStatus(store.db, run.id, 'running');
    const jobId = ctx.jobs.start('tune', params, { env: env(), cancelGraceMs: TUNE_CANCEL_GRACE_MS });
    tuning = jobId;
    ctx.emit('data.changed', { what: 'runs' });
    void ctx.jobs
      .wait(jobId)
      .then((o) => {
        tuning = null;
        finishRun(store, run.id, baseModelId, o);
        ctx.emit('data.changed', { what: 'runs' });
        ctx.emit('data.changed', { what: 'models' });
      })
      .catch(logFailure(`recording run #${run.id}`));
    return { runId: run.id, jobId };
  }

  return {
    'runs.list': () => listRuns(store.db, projectId).map((r) => runSummary(store, r)).reverse(),

    'runs.get': (id) => runDetail(store, ownRun(store, projectId, id)),

    'runs.resume': (id) => {
      notBusy();
      return train(resumeRun(store, ownRun(store, projectId, id)));
    },

    'tune.preset': () => presetSettings(),

    'tune.start': (settings) => {
      notBusy();
      const base = requireBaseModel(store.db, projectId);
      const terms = listTerms(store.db, projectId).map((t) => t.text);
      return train(startRun(store, projectId, settings, base, terms));
    },

    'compare.run': ({ runId, scale }) => {
      const r = ownRun(store, projectId, runId);
      if (r.status !== 'succeeded') throw new UserError('RUN_NOT_DONE', `Run #${runId} is ${apiStatus(r)}; only a finished run can be compared.`);
      if (comparing.has(runId)) throw new UserError('BUSY', `Run #${runId} is being compared already; wait for that comparison to finish.`);
      const s = runSummary(store, r);
      const base = runBaseModelDir(store.db, projectId, r);
      const p = runPaths(store.dataDir, runId);
      const scales = [...new Set([...DEFAULT_TRADE_OFF_SCALES, ...(scale === undefined ? [] : [scale])])].sort((a, b) => a - b);
      const jobId = ctx.jobs.start('compare', { modelDir: base, adapterDir: p.run, dataDir: p.dataset, terms: s.terms, scales, reportPath: p.compare }, { env: env() });
      comparing.add(runId);
      void ctx.jobs.wait(jobId).then(() => {
        comparing.delete(runId);
        ctx.emit('data.changed', { what: 'runs' });
      });
      return { jobId };
    },

    'compare.get': (runId) => {
      ownRun(store, projectId, runId);
      const file = runPaths(store.dataDir, runId).compare;
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CompareReport) : null;
    },

    'clips.prelabel': ({ ids }) => {
      if (labelling) throw new UserError('BUSY', 'Pre-labelling is already running; wait for it to finish or cancel it.');
      const base = requireBaseModel(store.db, projectId);
      const all = listRecordings(store.db, projectId);
      const want = ids ? new Set(ids) : null;
      const targets = all.filter((r) => (want ? want.has(r.id) : r.transcript === null || r.transcript.trim() === ''));
      if (want && targets.length !== want.size) throw new UserError('NOT_FOUND', 'Some of those clips no longer exist; reload the Dataset page.');
      if (targets.length === 0) throw new UserError('NOTHING_TO_LABEL', 'Every clip has a transcript already; select clips to transcribe them again.');
      const clips = targets.map((r) => ({ id: r.id, path: path.join(store.dataDir, r.file) }));
      const jobId = ctx.jobs.start('prelabel', { modelDir: base.dir, clips }, { env: env() });
      labelling = jobId;
      void ctx.jobs.wait(jobId).then((o) => {
        labelling = null;
        if (o.status !== 'done') return;
        storePrelabels(store.db, o.result, { overwriteTyped: want !== null });
        ctx.emit('data.changed', { what: 'clips' });
      }).catch(logFailure('storing pre-labels'));
      return { jobId };
    },
  };
}

/** A background bookkeeping failure must not take the server down: log it, keep serving. */
function logFailure(what: string): (e: unknown) => void {
  return (e) => console.error(`vocab-tuner: ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
}
