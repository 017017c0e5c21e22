/**
 * @file The API's tuning side: start a run (export the dataset, train in a job process, record
 * the run), list and read runs, compare a run against its base, and pre-label clips with the base
 * model. Every long step is a job (`jobs/*-job.ts`); this file only decides what to run and records
 * outcomes in the store when a job ends.
 *
 * A run's files live under `<data dir>/runs/<id>/`: `dataset/` (the audiofolder exported right
 * before training, so the held-out clips Compare scores are exactly those the run never saw),
 * `run/` (the trainer's folder: run.json, adapter/, best/) and `compare.json` (the last report).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { UserError } from '../util/errors.ts';
import type { Store } from '../store/store.ts';
import { listTerms } from '../store/terms.ts';
import { listRecordings } from '../store/recordings.ts';
import { getTranscript, setTranscript } from '../store/transcripts.ts';
import { addMetrics, createRun, getRun, listRuns, setRunStatus, type Run } from '../store/runs.ts';
import { addTunedModel, getModel, upsertBaseModel } from '../store/models.ts';
import { hasCheckpoint } from '../tuning/run-state.ts';
import { exportTrainingDataset } from '../store/export.ts';
import { DEFAULT_TRADE_OFF_SCALES } from '../eval/grid.ts';
import type { JobHost } from '../jobs/host.ts';
import type { TuneJobParams } from '../jobs/tune-job.ts';
import type { TuneConfig as TrainerConfig } from '../tuning/trainer.ts';
import { resolveModelDir } from '../models/model-ref.ts';
import { requireBaseModel } from './base-model.ts';
import { jobEnv, readSettings } from './app-settings.ts';
import type { CompareReport, Events, Handlers, RunDetail, RunSummary, TuneConfig } from './contract.ts';

/**
 * A cancelled tuning job stops at its next step boundary and saves a checkpoint; a step of a large
 * model on a CPU backend can take tens of seconds, so it gets that long before it is killed.
 */
const TUNE_CANCEL_GRACE_MS = 120_000;

const job = (name: string) => fileURLToPath(new URL(`../jobs/${name}.ts`, import.meta.url));

/** The trainer's default preset in the contract's words (trainer.ts defaultConfig + methods.ts). */
export const PRESET: TuneConfig = { method: 'lora', learningRate: 1e-3, epochs: 5, rank: 8, regulariser: 'distill', regulariserWeight: 0.5 };

export function runPaths(dataDir: string, runId: number) {
  const root = path.join(dataDir, 'runs', String(runId));
  return { root, dataset: path.join(root, 'dataset'), run: path.join(root, 'run'), compare: path.join(root, 'compare.json') };
}

/** The Advanced panel's settings → the trainer's full config (everything else: its defaults). */
export async function trainerConfig(c: TuneConfig | null, terms: string[]): Promise<TrainerConfig> {
  const { defaultConfig } = await import('../tuning/trainer.ts');
  const { DEFAULT_METHOD } = await import('../tuning/methods.ts');
  if (c === null) return { ...defaultConfig(), terms };
  const cfg = defaultConfig({ ...DEFAULT_METHOD, method: c.method, lora: { ...DEFAULT_METHOD.lora, rank: c.rank, alpha: 2 * c.rank } });
  return { ...cfg, lr: c.learningRate, epochs: c.epochs, steps: c.steps, regularizer: c.regulariser, regWeight: c.regulariserWeight, terms };
}

/** What a run stores as its config: the panel's settings plus what it was tuned from and for. */
type StoredConfig = TuneConfig & { baseModel: string; terms: string[] };

interface RunFile {
  status?: string;
  step?: number;
  totalSteps?: number;
  best?: { step: number; score: number | null } | null;
  history?: { step: number; loss: number; lr: number }[];
  evals?: { step: number; valLoss: number; termLogprob: number | null; termRecall: number | null; generalLossDrift: number | null; guardOk: boolean }[];
  changeReport?: RunDetail['changeReport'];
}

function readRunFile(dir: string): RunFile | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunFile;
  } catch {
    return null; // not started yet, or mid-write by another process: the store row still answers
  }
}

const STATUS: Record<Run['status'], RunSummary['status']> = { queued: 'queued', running: 'running', succeeded: 'done', failed: 'failed', cancelled: 'cancelled' };

export interface TuningContext {
  store: Store;
  jobs: JobHost;
  projectId: number;
  emit<E extends keyof Events>(event: E, payload: Events[E]): void;
}

type TuningHandlers = Pick<Handlers, 'runs.list' | 'runs.get' | 'runs.resume' | 'tune.start' | 'compare.run' | 'compare.get' | 'clips.prelabel'>;

export function tuningHandlers(ctx: TuningContext): TuningHandlers {
  const { store, projectId } = ctx;
  const env = () => jobEnv(readSettings(store.dataDir));
  let tuning: string | null = null;
  const comparing = new Set<number>();
  let labelling: string | null = null;

  // No job survives its server: a run still "running" at start-up was cut off by a crash or a
  // kill. Say so, and keep it resumable (its checkpoint is intact; see tuning/run-state.ts).
  for (const r of listRuns(store.db, projectId)) {
    if (r.status !== 'running') continue;
    const ok = hasCheckpoint(runPaths(store.dataDir, r.id).run);
    setRunStatus(store.db, r.id, 'failed', ok ? 'Interrupted: the app stopped while this run was training. Press Resume to continue from its last checkpoint.' : 'Interrupted before its first checkpoint: press Tune to start again.');
  }

  const summary = (r: Run): RunSummary => {
    const { baseModel = null, terms = [], ...config } = r.config as Partial<StoredConfig>;
    const p = runPaths(store.dataDir, r.id);
    const f = readRunFile(p.run);
    return {
      id: r.id,
      status: STATUS[r.status],
      startedAt: r.startedAt ?? r.createdAt,
      finishedAt: r.finishedAt,
      config: config as TuneConfig,
      baseModel,
      terms,
      steps: f?.step ?? null,
      totalSteps: f?.totalSteps ?? null,
      best: f?.best ?? null,
      compared: existsSync(p.compare),
      resumable: (r.status === 'failed' || r.status === 'cancelled') && hasCheckpoint(p.run),
      error: r.error,
    };
  };
  const ownRun = (id: number): Run => {
    const r = listRuns(store.db, projectId).find((x) => x.id === id);
    if (!r) throw new UserError('NOT_FOUND', `There is no run #${id}; it may belong to another project.`);
    return r;
  };

  /** Records a finished tuning job in the store (status, metric history, the tuned model). */
  function finishRun(runId: number, baseModelId: number, o: { status: string; error: { message: string } | null }): void {
    const p = runPaths(store.dataDir, runId);
    const f = readRunFile(p.run);
    store.db.transaction(() => {
      for (const h of f?.history ?? []) addMetrics(store.db, runId, h.step, { loss: h.loss, lr: h.lr });
      for (const e of f?.evals ?? []) {
        addMetrics(store.db, runId, e.step, {
          valLoss: e.valLoss,
          ...(e.termLogprob !== null ? { termProb: Math.exp(e.termLogprob) } : {}),
          ...(e.termRecall !== null ? { termRecall: e.termRecall } : {}),
        });
      }
      if (o.status === 'done') {
        setRunStatus(store.db, runId, 'succeeded');
        addTunedModel(store.db, { name: `run-${runId}`, baseModelId, runId, path: p.run });
      } else if (o.status === 'cancelled') setRunStatus(store.db, runId, 'cancelled');
      else setRunStatus(store.db, runId, 'failed', o.error?.message ?? 'The tuning job failed.');
    })();
    ctx.emit('data.changed', { what: 'runs' });
    ctx.emit('data.changed', { what: 'models' });
  }

  /** Marks the run running, trains it in a job process, and records the outcome when the job ends. */
  function startTuneJob(runId: number, baseModelId: number, params: TuneJobParams): { runId: number; jobId: string } {
    setRunStatus(store.db, runId, 'running');
    const jobId = ctx.jobs.start('tune', job('tune-job'), params, { env: env(), cancelGraceMs: TUNE_CANCEL_GRACE_MS });
    tuning = jobId;
    ctx.emit('data.changed', { what: 'runs' });
    void ctx.jobs
      .wait(jobId)
      .then((o) => {
        tuning = null;
        finishRun(runId, baseModelId, o);
      })
      .catch(logFailure(`recording run #${runId}`));
    return { runId, jobId };
  }

  return {
    'runs.list': () => listRuns(store.db, projectId).map(summary).reverse(),

    'runs.get': (id) => {
      const r = ownRun(id);
      const p = runPaths(store.dataDir, id);
      const f = readRunFile(p.run);
      return {
        ...summary(r),
        history: (f?.history ?? []).map((h) => ({ step: h.step, loss: h.loss, lr: h.lr })),
        evals: (f?.evals ?? []).map((e) => ({
          step: e.step,
          valLoss: e.valLoss,
          termProb: e.termLogprob === null ? null : Math.exp(e.termLogprob),
          termRecall: e.termRecall,
          generalLossDrift: e.generalLossDrift,
          guardOk: e.guardOk,
        })),
        changeReport: (f?.changeReport ?? null)?.map(({ group, stack, layer, kind, params, baseNorm, deltaNorm, relative }) => ({ group, stack, layer, kind, params, baseNorm, deltaNorm, relative })) ?? null,
        runDir: p.root,
      };
    },

    'runs.resume': async (id) => {
      if (tuning) throw new UserError('BUSY', 'A tuning run is already in progress; wait for it to finish or cancel it first.');
      const r = ownRun(id);
      const p = runPaths(store.dataDir, id);
      if (r.status !== 'failed' && r.status !== 'cancelled') throw new UserError('RUN_NOT_RESUMABLE', `Run #${id} is ${STATUS[r.status]}; only a failed, cancelled or interrupted run can be resumed.`);
      if (!hasCheckpoint(p.run)) throw new UserError('RUN_NOT_RESUMABLE', `Run #${id} stopped before its first checkpoint, so there is nothing to resume; press Tune to start a new run.`);
      if (r.baseModelId === null) throw new UserError('RUN_NOT_RESUMABLE', `Run #${id} does not record its base model; start a new run.`);
      const base = getModel(store.db, r.baseModelId);
      if (!base.path || !existsSync(base.path)) throw new UserError('MODEL_NOT_FOUND', `Run #${id}'s base model (${base.name}) is no longer at ${base.path ?? 'its folder'}; download or import it again, then resume.`);
      const { config } = JSON.parse(readFileSync(path.join(p.run, 'run.json'), 'utf8')) as { config: TrainerConfig };
      return startTuneJob(id, r.baseModelId, { modelDir: base.path, dataDir: p.dataset, outDir: p.run, config, resume: true });
    },

    'tune.start': async (config) => {
      if (tuning) throw new UserError('BUSY', 'A tuning run is already in progress; wait for it to finish or cancel it first.');
      const base = requireBaseModel(store.db, projectId);
      const terms = listTerms(store.db, projectId).map((t) => t.text);
      const cfg = await trainerConfig(config, terms);
      // Export first, into a scratch folder: a dataset that cannot be exported makes no run row.
      const runsDir = path.join(store.dataDir, 'runs');
      mkdirSync(runsDir, { recursive: true });
      const scratch = path.join(runsDir, `.new-${randomUUID()}`);
      let exported;
      try {
        exported = exportTrainingDataset(store, projectId, path.join(scratch, 'dataset')); // JSON lines: no CSV-formula refusals
      } catch (e) {
        rmSync(scratch, { recursive: true, force: true });
        throw e;
      }
      if (exported.counts.train === 0) {
        rmSync(scratch, { recursive: true, force: true });
        throw new UserError('NOT_ENOUGH_DATA', 'There are no training clips with transcripts yet. Record or import clips (and give them transcripts) on the Record and Dataset pages, then press Tune again.');
      }
      const baseRow = upsertBaseModel(store.db, { name: base.ref, path: base.dir });
      const stored: StoredConfig = { ...(config ?? PRESET), baseModel: base.ref, terms };
      const run = createRun(store.db, projectId, stored, baseRow.id);
      const p = runPaths(store.dataDir, run.id);
      rmSync(p.root, { recursive: true, force: true }); // a leftover of a deleted database's run with this id
      renameSync(scratch, p.root);
      return startTuneJob(run.id, baseRow.id, { modelDir: base.dir, dataDir: p.dataset, outDir: p.run, config: cfg });
    },

    'compare.run': ({ runId, scale }) => {
      const r = ownRun(runId);
      if (r.status !== 'succeeded') throw new UserError('RUN_NOT_DONE', `Run #${runId} is ${STATUS[r.status]}; only a finished run can be compared.`);
      if (comparing.has(runId)) throw new UserError('BUSY', `Run #${runId} is being compared already; wait for that comparison to finish.`);
      const s = summary(r);
      const base = s.baseModel ? resolveModelDir(s.baseModel) : requireBaseModel(store.db, projectId).dir;
      const p = runPaths(store.dataDir, runId);
      const scales = [...new Set([...DEFAULT_TRADE_OFF_SCALES, ...(scale === undefined ? [] : [scale])])].sort((a, b) => a - b);
      const jobId = ctx.jobs.start('compare', job('compare-job'), { modelDir: base, adapterDir: p.run, dataDir: p.dataset, terms: s.terms, scales, reportPath: p.compare }, { env: env() });
      comparing.add(runId);
      void ctx.jobs.wait(jobId).then(() => {
        comparing.delete(runId);
        ctx.emit('data.changed', { what: 'runs' });
      });
      return { jobId };
    },

    'compare.get': (runId) => {
      ownRun(runId);
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
      const jobId = ctx.jobs.start('transcribe', job('transcribe-job'), { modelDir: base.dir, clips }, { env: env() });
      labelling = jobId;
      void ctx.jobs.wait(jobId).then((o) => {
        labelling = null;
        if (o.status !== 'done') return;
        store.db.transaction(() => {
          const alive = new Set(listRecordings(store.db, projectId).map((r) => r.id));
          for (const { id, text } of o.result as { id: number; text: string }[]) {
            if (!alive.has(id)) continue; // deleted while the job ran
            // Never overwrite what a person typed while the job ran (unless they asked for these ids).
            const cur = getTranscript(store.db, id);
            const typed = cur && cur.text.trim() !== '' && cur.source !== 'base_model';
            if (text && (!typed || want)) setTranscript(store.db, id, text, 'base_model');
          }
        })();
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
