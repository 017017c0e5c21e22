/**
 * Tuning runs: their config (JSON, as given), status, and metric history (loss, lr, term
 * probability … per step). Status moves queued → running → succeeded | failed | cancelled.
 */
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { nowIso } from './store.ts';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type Run = {
  id: number;
  projectId: number;
  baseModelId: number | null;
  config: unknown;
  status: RunStatus;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

const COLS = `id, project_id AS projectId, base_model_id AS baseModelId, config_json AS config, status, error,
  created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt`;

function fromRow(r: Run): Run {
  return { ...r, config: JSON.parse(r.config as string) };
}

export function createRun(db: Db, projectId: number, config: unknown, baseModelId: number | null = null): Run {
  const r = db
    .prepare("INSERT INTO runs (project_id, base_model_id, config_json, status, created_at) VALUES (?, ?, ?, 'queued', ?)")
    .run(projectId, baseModelId, JSON.stringify(config), nowIso());
  return getRun(db, Number(r.lastInsertRowid));
}

export function getRun(db: Db, id: number): Run {
  const r = db.prepare(`SELECT ${COLS} FROM runs WHERE id = ?`).get(id) as Run | undefined;
  if (!r) throw new StoreError('NOT_FOUND', `There is no run with id ${id}.`);
  return fromRow(r);
}

export function listRuns(db: Db, projectId: number): Run[] {
  return (db.prepare(`SELECT ${COLS} FROM runs WHERE project_id = ? ORDER BY created_at, id`).all(projectId) as Run[]).map(fromRow);
}

const NEXT: Record<RunStatus, RunStatus[]> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  // A failed or cancelled run that left a checkpoint can be resumed (the trainer continues it
  // bit-for-bit), so those states may go back to running.
  failed: ['running'],
  cancelled: ['running'],
};

export function setRunStatus(db: Db, id: number, status: RunStatus, error: string | null = null): Run {
  const cur = getRun(db, id);
  if (!NEXT[cur.status].includes(status)) {
    throw new StoreError('RUN_STATE', `Run ${id} is ${cur.status} and cannot become ${status}.`);
  }
  const now = nowIso();
  db.prepare('UPDATE runs SET status = ?, error = ?, started_at = coalesce(started_at, ?), finished_at = ? WHERE id = ?').run(
    status,
    error,
    status === 'running' ? now : null,
    status === 'running' ? null : now,
    id,
  );
  return getRun(db, id);
}

/** Append one step's metrics (e.g. { loss: 0.31, lr: 1e-4 }) in one transaction. */
export function addMetrics(db: Db, runId: number, step: number, metrics: Record<string, number>): void {
  const ins = db.prepare('INSERT OR REPLACE INTO run_metrics (run_id, step, name, value, at) VALUES (?, ?, ?, ?, ?)');
  const now = nowIso();
  db.transaction(() => {
    for (const [name, value] of Object.entries(metrics)) ins.run(runId, step, name, value, now);
  })();
}

/** Metric history: name → [step, value][] in step order. */
export function metricHistory(db: Db, runId: number): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  const rows = db.prepare('SELECT name, step, value FROM run_metrics WHERE run_id = ? ORDER BY name, step').all(runId) as { name: string; step: number; value: number }[];
  for (const r of rows) (out[r.name] ??= []).push([r.step, r.value]);
  return out;
}
