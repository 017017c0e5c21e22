import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, openDb, schemaVersion, type Db } from '../../../src-main/store/db.ts';
import { LATEST_VERSION, MIGRATIONS } from '../../../src-main/store/migrations/index.ts';

function schemaOf(db: Db): string[] {
  return (db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as { type: string; name: string; sql: string }[])
    .map((r) => `${r.type} ${r.name}: ${r.sql?.replace(/\s+/g, ' ')}`);
}

/** Rows written with only the version-1 columns, so every later migration must carry them along. */
function seedV1(db: Db): void {
  const now = '2026-01-01T00:00:00.000Z';
  db.prepare("INSERT INTO projects (id, name, created_at) VALUES (1, 'default', ?)").run(now);
  db.prepare("INSERT INTO terms (id, project_id, text, sounds_like, created_at) VALUES (1, 1, 'CUDA', '[\"cooler\"]', ?)").run(now);
  db.prepare("INSERT INTO prompts (id, project_id, term_id, text, kind, created_at) VALUES (1, 1, 1, 'CUDA is fast.', 'term', ?)").run(now);
  db.prepare(
    "INSERT INTO recordings (id, project_id, prompt_id, file, sha256, duration_s, sample_rate, n_samples, source, created_at) VALUES (1, 1, 1, 'audio/aa/x.wav', ?, 1.5, 16000, 24000, 'recorded', ?)",
  ).run('a'.repeat(64), now);
  db.prepare("INSERT INTO transcripts (recording_id, text, source, updated_at) VALUES (1, 'CUDA is fast.', 'prompt', ?)").run(now);
  db.prepare("INSERT INTO splits (recording_id, split, seed, assigned_at) VALUES (1, 'test', 0, ?)").run(now);
}

test('a fresh database reaches the latest version with WAL and foreign keys on', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-db-'));
  const db = openDb(path.join(dir, 'x.db'));
  assert.equal(schemaVersion(db), LATEST_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('synchronous', { simple: true }), 2); // FULL
  db.close();
  fs.rmSync(dir, { recursive: true });
});

test('migrations are numbered 1..N without gaps, and there are at least two', () => {
  assert.ok(MIGRATIONS.length >= 2);
  MIGRATIONS.forEach((m, i) => assert.equal(m.version, i + 1));
});

for (let from = 1; from < LATEST_VERSION; from++) {
  test(`upgrading from version ${from} keeps the data and ends with the same schema as a fresh database`, () => {
    const db = openDb(':memory:', { targetVersion: from });
    assert.equal(schemaVersion(db), from);
    seedV1(db);
    migrate(db);
    assert.equal(schemaVersion(db), LATEST_VERSION);
    assert.deepEqual(schemaOf(db), schemaOf(openDb(':memory:')));
    const term = db.prepare('SELECT text, sounds_like, wanted_clips FROM terms').get() as Record<string, unknown>;
    assert.deepEqual(term, { text: 'CUDA', sounds_like: '["cooler"]', wanted_clips: 8 });
    assert.equal((db.prepare('SELECT count(*) AS n FROM recordings').get() as { n: number }).n, 1);
    assert.equal((db.prepare('SELECT split FROM splits').get() as { split: string }).split, 'test');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    db.close();
  });
}

test('a database from a newer Vocab Tuner is refused, untouched', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-db-'));
  const file = path.join(dir, 'x.db');
  openDb(file).close();
  const raw = new Database(file);
  raw.prepare("INSERT INTO schema_version VALUES (?, 'future', 'x')").run(LATEST_VERSION + 1);
  raw.close();
  assert.throws(() => openDb(file), (e: Error & { code?: string }) => e.code === 'STORE_TOO_NEW' && /Update Vocab Tuner/.test(e.message));
  fs.rmSync(dir, { recursive: true });
});

test('a held-out clip cannot be moved to train, even with raw SQL', () => {
  const db = openDb(':memory:');
  seedV1(db);
  assert.throws(() => db.prepare("UPDATE splits SET split = 'train' WHERE recording_id = 1").run(), /HELD_OUT_IS_FINAL/);
  db.close();
});

test('terms are case-sensitive: "CUDA" and "Cuda" are two terms', () => {
  const db = openDb(':memory:');
  seedV1(db);
  db.prepare("INSERT INTO terms (project_id, text, created_at) VALUES (1, 'Cuda', 'x')").run();
  assert.throws(() => db.prepare("INSERT INTO terms (project_id, text, created_at) VALUES (1, 'CUDA', 'x')").run(), /UNIQUE/);
  db.close();
});
