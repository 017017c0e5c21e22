/**
 * Version 1: every table the store needs. Kept byte-for-byte once released, because databases on
 * users' disks were built from it; later changes go in new files.
 *
 * Conventions: ids are INTEGER PRIMARY KEY; times are ISO-8601 UTC text; paths stored in rows are
 * relative to the data directory so a data directory can be moved or restored as a whole.
 * Text comparisons use SQLite's default BINARY collation, so terms are case-sensitive ("CUDA" and
 * "Cuda" are different terms), which is the point of the app.
 */
export const version = 1;
export const name = 'init';
export const sql = `
CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  base_model TEXT,
  language TEXT NOT NULL DEFAULT 'en',
  created_at TEXT NOT NULL
);

CREATE TABLE terms (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 200),
  notes TEXT,
  sounds_like TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (project_id, text)
);

CREATE TABLE prompts (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  term_id INTEGER REFERENCES terms(id) ON DELETE SET NULL,
  text TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('term', 'negative', 'general')),
  position TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (project_id, text)
);

CREATE TABLE recordings (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  prompt_id INTEGER REFERENCES prompts(id) ON DELETE SET NULL,
  file TEXT NOT NULL,
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  duration_s REAL NOT NULL CHECK (duration_s > 0),
  sample_rate INTEGER NOT NULL,
  n_samples INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('recorded', 'imported')),
  source_name TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (project_id, sha256)
);

CREATE TABLE transcripts (
  recording_id INTEGER PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('typed', 'prompt', 'base_model', 'import')),
  edited INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
  updated_at TEXT NOT NULL
);

CREATE TABLE splits (
  recording_id INTEGER PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
  split TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test', 'general')),
  seed INTEGER NOT NULL,
  assigned_at TEXT NOT NULL
);

-- A held-out clip (validation / test / general) must never become training data: a model that
-- has seen a clip cannot be scored on it. Enforced here so no code path can forget.
CREATE TRIGGER splits_held_out_stays BEFORE UPDATE OF split ON splits
WHEN OLD.split <> 'train' AND NEW.split <> OLD.split
BEGIN
  SELECT RAISE(ABORT, 'HELD_OUT_IS_FINAL: a held-out clip cannot change split');
END;

CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('base', 'tuned')),
  name TEXT NOT NULL,
  repo TEXT,
  revision TEXT,
  path TEXT,
  base_model_id INTEGER REFERENCES models(id) ON DELETE RESTRICT,
  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL,
  UNIQUE (kind, name)
);

CREATE TABLE model_artifacts (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT,
  bytes INTEGER,
  created_at TEXT NOT NULL,
  UNIQUE (model_id, kind, path)
);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  base_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  config_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  error TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);

CREATE TABLE run_metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (run_id, name, step)
);

CREATE TABLE comparisons (
  id INTEGER PRIMARY KEY,
  recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  term_probs_json TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  UNIQUE (recording_id, model_id)
);
`;
