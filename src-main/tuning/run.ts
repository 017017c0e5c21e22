/**
 * A tuning run as one concept: the record the trainer keeps in `run.json` (typed here, read here),
 * the app's run folder, and the run's life in the store — start (export the dataset, create the
 * row), finish (ingest the metric history, record the tuned model), recover (a run cut off by a
 * crash), resume, and the summaries the API returns. The IPC handlers only call these.
 *
 * The app keeps a run's files under `<data dir>/runs/<id>/`: `dataset/` (exported right before
 * training, so the held-out clips Compare scores are exactly those the run never saw), `run/` (the
 * trainer's folder: run.json, checkpoint/, adapter/, best/) and `compare.json` (the last report).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { UserError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import type { Store } from '../store/store.ts';
import { addMetrics, createRun, listRuns, setRunStatus, type Run } from '../store/runs.ts';
import { addTunedModel, getModel, upsertBaseModel } from '../store/models.ts';
import { exportTrainingDataset } from '../store/export.ts';
import type { RunDetail, RunSummary } from '../ipc/contract.ts';
import { hasCheckpoint, type EvalPoint, type HistoryPoint } from './run-state.ts';
import { settingsOf, trainerConfig, type Regularizer, type TuneConfig, type TuneSettings } from './config.ts';
import type { ModuleChange } from './change-report.ts';

/** What the trainer writes to `<run dir>/run.json` at its start, every checkpoint and its end. */
export interface RunRecord {
  version: 1;
  /** Absolute base model and dataset folders (`tune --resume` needs nothing else). */
  model: string;
  data: string;
  config: TuneConfig;
  backend: string;
  trainable: number;
  encoderFrozen: boolean;
  clips: { train: number; validation: number; general: number };
  notes: string[];
  totalSteps: number;
  status: 'running' | 'completed' | 'early-stopped' | 'cancelled';
  step: number;
  history: HistoryPoint[];
  evals: EvalPoint[];
  best: { step: number; score: number } | null;
  timings: { elapsedSec: number; encoderCache: { entries: number; hits: number; misses: number } };
  /** Relative weight change per module, written when the run ends (not when cancelled). */
  changeReport?: ModuleChange[];
}

export const RUN_RECORD_FILE = 'run.json';

export function runRecordPath(runDir: string): string {
  return path.join(runDir, RUN_RECORD_FILE);
}

/**
 * The record of the run in `runDir`, or null when it has none yet (training never started). The
 * trainer writes it atomically, so a present file is whole; one that does not parse is damaged
 * and says so rather than passing for "not started".
 */
export function readRunRecord(runDir: string): RunRecord | null {
  const file = runRecordPath(runDir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  } catch (e) {
    throw new UserError('RUN_RECORD_DAMAGED', `${file} cannot be read (${e instanceof Error ? e.message : String(e)}); the run's checkpoint and adapter folders are still usable.`);
  }
}

export function writeRunRecord(runDir: string, r: RunRecord): void {
  writeJsonAtomic(runRecordPath(runDir), r);
}

/** The app's folders for run `runId`. */
export function runPaths(dataDir: string, runId: number) {
  const root = path.join(dataDir, 'runs', String(runId));
  return { root, dataset: path.join(root, 'dataset'), run: path.join(root, 'run'), compare: path.join(root, 'compare.json') };
}

/** What the store keeps as a run's config: the panel's settings plus what it was tuned from and for. */
export type StoredRunConfig = TuneSettings & { baseModel: string; terms: string[] };

/**
 * A stored config → the panel's settings. Runs recorded before the field names were unified spelt
 * them learningRate / regulariser / regulariserWeight; those still read.
 */
export function storedSettings(raw: unknown): TuneSettings {
  const r = (raw ?? {}) as Partial<TuneSettings> & { learningRate?: number; regulariser?: Regularizer; regulariserWeight?: number };
  const s: TuneSettings = {
    method: r.method ?? 'lora',
    lr: r.lr ?? r.learningRate ?? 0,
    epochs: r.epochs ?? 0,
    rank: r.rank ?? 0,
    regularizer: r.regularizer ?? r.regulariser ?? 'none',
    regWeight: r.regWeight ?? r.regulariserWeight ?? 0,
  };
  if (typeof r.steps === 'number') s.steps = r.steps;
  return s;
}

const STATUS: Record<Run['status'], RunSummary['status']> = { queued: 'queued', running: 'running', succeeded: 'done', failed: 'failed', cancelled: 'cancelled' };

export function apiStatus(r: Run): RunSummary['status'] {
  return STATUS[r.status];
}

/**
 * No job outlives its server: a run still "running" at start-up was cut off by a crash or a kill.
 * It is marked failed with a sentence saying whether Resume can continue it (its checkpoint is
 * intact, see run-state.ts). Returns how many runs were recovered.
 */
export function recoverInterruptedRuns(store: Store, projectId: number): number {
  let n = 0;
  for (const r of listRuns(store.db, projectId)) {
    if (r.status !== 'running') continue;
    const ok = hasCheckpoint(runPaths(store.dataDir, r.id).run);
    setRunStatus(store.db, r.id, 'failed', ok ? 'Interrupted: the app stopped while this run was training. Press Resume to continue from its last checkpoint.' : 'Interrupted before its first checkpoint: press Tune to start again.');
    n++;
  }
  return n;
}

/** The base model a run was tuned from, as stored (a Hub id, `local/<name>` or a folder); null for very old rows. */
export function runBaseModel(r: Run): string | null {
  return ((r.config ?? {}) as Partial<StoredRunConfig>).baseModel ?? null;
}

/** The run `id` of this project, or NOT_FOUND. */
export function ownRun(store: Store, projectId: number, id: number): Run {
  const r = listRuns(store.db, projectId).find((x) => x.id === id);
  if (!r) throw new UserError('NOT_FOUND', `There is no run #${id}; it may belong to another project.`);
  return r;
}

export function runSummary(store: Store, r: Run): RunSummary {
  const { baseModel = null, terms = [], ...settings } = (r.config ?? {}) as Partial<StoredRunConfig>;
  const p = runPaths(store.dataDir, r.id);
  const f = readRunRecordQuietly(p.run);
  return {
    id: r.id,
    status: STATUS[r.status],
    startedAt: r.startedAt ?? r.createdAt,
    finishedAt: r.finishedAt,
    config: storedSettings(settings),
    baseModel,
    terms,
    steps: f?.step ?? null,
    totalSteps: f?.totalSteps ?? null,
    best: f?.best ?? null,
    compared: existsSync(p.compare),
    resumable: (r.status === 'failed' || r.status === 'cancelled') && hasCheckpoint(p.run),
    error: r.error,
  };
}

export function runDetail(store: Store, r: Run): RunDetail {
  const p = runPaths(store.dataDir, r.id);
  const f = readRunRecordQuietly(p.run);
  return {
    ...runSummary(store, r),
    history: (f?.history ?? []).map((h) => ({ step: h.step, loss: h.loss, lr: h.lr })),
    evals: (f?.evals ?? []).map((e) => ({ step: e.step, valLoss: e.valLoss, termLogprob: e.termLogprob, termRecall: e.termRecall, generalLossDrift: e.generalLossDrift, guardOk: e.guardOk })),
    changeReport: f?.changeReport?.map(({ group, stack, layer, kind, params, baseNorm, deltaNorm, relative }) => ({ group, stack, layer, kind, params, baseNorm, deltaNorm, relative })) ?? null,
    runDir: p.root,
  };
}

/** A listing must not fail because one run's record is damaged: that run shows no steps. */
function readRunRecordQuietly(runDir: string): RunRecord | null {
  try {
    return readRunRecord(runDir);
  } catch {
    return null;
  }
}

/** What a new run trains with: where, on what, with which trainer config. */
export interface StartedRun {
  run: Run;
  baseModelId: number;
  params: { modelDir: string; dataDir: string; outDir: string; config: TuneConfig; resume?: boolean };
}

/**
 * Creates a run: exports the project's dataset first, into a scratch folder (a dataset that cannot
 * be exported, or one without training clips, makes no run row), then records the run and moves
 * the folder into place. `settings` null is the preset.
 */
export function startRun(store: Store, projectId: number, settings: TuneSettings | null, base: { ref: string; dir: string }, terms: string[]): StartedRun {
  const config = trainerConfig(settings, terms);
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
  const stored: StoredRunConfig = { ...(settings ?? settingsOf(config)), baseModel: base.ref, terms };
  const run = createRun(store.db, projectId, stored, baseRow.id);
  const p = runPaths(store.dataDir, run.id);
  rmSync(p.root, { recursive: true, force: true }); // a leftover of a deleted database's run with this id
  renameSync(scratch, p.root);
  return { run, baseModelId: baseRow.id, params: { modelDir: base.dir, dataDir: p.dataset, outDir: p.run, config } };
}

/** Checks run `r` can continue from its checkpoint and returns how: its base, data and saved config. */
export function resumeRun(store: Store, r: Run): StartedRun {
  const p = runPaths(store.dataDir, r.id);
  if (r.status !== 'failed' && r.status !== 'cancelled') throw new UserError('RUN_NOT_RESUMABLE', `Run #${r.id} is ${STATUS[r.status]}; only a failed, cancelled or interrupted run can be resumed.`);
  if (!hasCheckpoint(p.run)) throw new UserError('RUN_NOT_RESUMABLE', `Run #${r.id} stopped before its first checkpoint, so there is nothing to resume; press Tune to start a new run.`);
  if (r.baseModelId === null) throw new UserError('RUN_NOT_RESUMABLE', `Run #${r.id} does not record its base model; start a new run.`);
  const base = getModel(store.db, r.baseModelId);
  if (!base.path || !existsSync(base.path)) throw new UserError('MODEL_NOT_FOUND', `Run #${r.id}'s base model (${base.name}) is no longer at ${base.path ?? 'its folder'}; download or import it again, then resume.`);
  const record = readRunRecord(p.run);
  if (!record) throw new UserError('RUN_NOT_RESUMABLE', `Run #${r.id} has a checkpoint but no ${RUN_RECORD_FILE}; start a new run.`);
  return { run: r, baseModelId: r.baseModelId, params: { modelDir: base.path, dataDir: p.dataset, outDir: p.run, config: record.config, resume: true } };
}

/**
 * Records a finished tuning job in the store, in one transaction: the metric history from the
 * run record, the status (with the job's error sentence on failure), and for a finished run the
 * tuned model, so Compare and Export can find it.
 */
export function finishRun(store: Store, runId: number, baseModelId: number, o: { status: 'done' | 'failed' | 'cancelled'; error: { message: string } | null }): void {
  const p = runPaths(store.dataDir, runId);
  const f = readRunRecordQuietly(p.run);
  store.db.transaction(() => {
    for (const h of f?.history ?? []) addMetrics(store.db, runId, h.step, { loss: h.loss, lr: h.lr });
    for (const e of f?.evals ?? []) {
      addMetrics(store.db, runId, e.step, {
        valLoss: e.valLoss,
        ...(e.termLogprob !== null ? { termLogprob: e.termLogprob } : {}),
        ...(e.termRecall !== null ? { termRecall: e.termRecall } : {}),
      });
    }
    if (o.status === 'done') {
      setRunStatus(store.db, runId, 'succeeded');
      addTunedModel(store.db, { name: `run-${runId}`, baseModelId, runId, path: p.run });
    } else if (o.status === 'cancelled') setRunStatus(store.db, runId, 'cancelled');
    else setRunStatus(store.db, runId, 'failed', o.error?.message ?? 'The tuning job failed.');
  })();
}
