/**
 * Models known to the store: downloaded base models (HF repo + revision + local path) and tuned
 * models produced by runs, with their artifacts (adapter, merged weights, ggml export …).
 * Paths are whatever the models engineer's cache uses; the store only records them.
 */
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { nowIso } from './store.ts';

export type ModelKind = 'base' | 'tuned';
export type ModelRow = {
  id: number;
  kind: ModelKind;
  name: string;
  repo: string | null;
  revision: string | null;
  path: string | null;
  baseModelId: number | null;
  runId: number | null;
  createdAt: string;
};
export type Artifact = { id: number; modelId: number; kind: string; path: string; sha256: string | null; bytes: number | null; createdAt: string };

const COLS = 'id, kind, name, repo, revision, path, base_model_id AS baseModelId, run_id AS runId, created_at AS createdAt';

export function getModel(db: Db, id: number): ModelRow {
  const m = db.prepare(`SELECT ${COLS} FROM models WHERE id = ?`).get(id) as ModelRow | undefined;
  if (!m) throw new StoreError('NOT_FOUND', `There is no model with id ${id}.`);
  return m;
}

/** Record a downloaded base model; re-registering the same name updates revision and path. */
export function upsertBaseModel(db: Db, m: { name: string; repo?: string; revision?: string; path?: string }): ModelRow {
  db.prepare(
    `INSERT INTO models (kind, name, repo, revision, path, created_at) VALUES ('base', ?, ?, ?, ?, ?)
     ON CONFLICT (kind, name) DO UPDATE SET repo = excluded.repo, revision = excluded.revision, path = excluded.path`,
  ).run(m.name, m.repo ?? null, m.revision ?? null, m.path ?? null, nowIso());
  return db.prepare(`SELECT ${COLS} FROM models WHERE kind = 'base' AND name = ?`).get(m.name) as ModelRow;
}

export function addTunedModel(db: Db, m: { name: string; baseModelId: number; runId: number | null; path?: string }): ModelRow {
  const r = db
    .prepare("INSERT INTO models (kind, name, base_model_id, run_id, path, created_at) VALUES ('tuned', ?, ?, ?, ?, ?)")
    .run(m.name, m.baseModelId, m.runId, m.path ?? null, nowIso());
  return getModel(db, Number(r.lastInsertRowid));
}

export function listModels(db: Db, kind?: ModelKind): ModelRow[] {
  return (kind
    ? db.prepare(`SELECT ${COLS} FROM models WHERE kind = ? ORDER BY id`).all(kind)
    : db.prepare(`SELECT ${COLS} FROM models ORDER BY id`).all()) as ModelRow[];
}

export function addArtifact(db: Db, a: { modelId: number; kind: string; path: string; sha256?: string; bytes?: number }): Artifact {
  const r = db
    .prepare('INSERT INTO model_artifacts (model_id, kind, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(a.modelId, a.kind, a.path, a.sha256 ?? null, a.bytes ?? null, nowIso());
  return db
    .prepare('SELECT id, model_id AS modelId, kind, path, sha256, bytes, created_at AS createdAt FROM model_artifacts WHERE id = ?')
    .get(Number(r.lastInsertRowid)) as Artifact;
}

export function listArtifacts(db: Db, modelId: number): Artifact[] {
  return db
    .prepare('SELECT id, model_id AS modelId, kind, path, sha256, bytes, created_at AS createdAt FROM model_artifacts WHERE model_id = ? ORDER BY id')
    .all(modelId) as Artifact[];
}
