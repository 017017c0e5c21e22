/**
 * Projects: one base model, one vocabulary and the clips recorded for it. The CLI and the app use
 * a project named "default" unless told otherwise, created on first use.
 */
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { nowIso } from './store.ts';

export type Project = { id: number; name: string; baseModel: string | null; language: string; createdAt: string };

export const DEFAULT_PROJECT = 'default';

const COLS = 'id, name, base_model AS baseModel, language, created_at AS createdAt';

export function listProjects(db: Db): Project[] {
  return db.prepare(`SELECT ${COLS} FROM projects ORDER BY id`).all() as Project[];
}

export function findProject(db: Db, name: string): Project | undefined {
  return db.prepare(`SELECT ${COLS} FROM projects WHERE name = ?`).get(name) as Project | undefined;
}

export function createProject(db: Db, p: { name: string; baseModel?: string; language?: string }): Project {
  const name = p.name.trim();
  if (!name || name.length > 100 || /[\r\n]/.test(name)) {
    throw new StoreError('PROJECT_INVALID', `"${p.name}" is not a usable project name: use 1–100 characters on one line.`);
  }
  if (findProject(db, name)) throw new StoreError('PROJECT_EXISTS', `A project named "${name}" already exists; pick another name.`);
  const r = db.prepare('INSERT INTO projects (name, base_model, language, created_at) VALUES (?, ?, ?, ?)').run(name, p.baseModel ?? null, p.language ?? 'en', nowIso());
  return findProjectById(db, Number(r.lastInsertRowid));
}

export function findProjectById(db: Db, id: number): Project {
  const p = db.prepare(`SELECT ${COLS} FROM projects WHERE id = ?`).get(id) as Project | undefined;
  if (!p) throw new StoreError('NOT_FOUND', `There is no project with id ${id}.`);
  return p;
}

/** The named project (default "default"), created if missing. */
export function getOrCreateProject(db: Db, name: string = DEFAULT_PROJECT): Project {
  return findProject(db, name.trim()) ?? createProject(db, { name });
}

export function setBaseModel(db: Db, projectId: number, baseModel: string | null): void {
  db.prepare('UPDATE projects SET base_model = ? WHERE id = ?').run(baseModel, projectId);
}
