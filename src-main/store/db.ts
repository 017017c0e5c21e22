/**
 * Opening the SQLite database and bringing its schema up to date.
 *
 * Pragmas, and why:
 * - journal_mode=WAL: readers (the UI) never block the writer, and a crash leaves the last
 *   committed transaction intact.
 * - synchronous=FULL: a committed recording row survives power loss too, not only a process crash;
 *   we write a few rows per minute, so the extra fsync costs nothing noticeable.
 * - foreign_keys=ON: off by default in SQLite; without it ON DELETE CASCADE silently does nothing.
 * - busy_timeout: the CLI and the app may touch the same database; wait instead of failing.
 *
 * Migrations (./migrations) are forward-only. `schema_version` holds one row per applied
 * migration; the current version is the largest. A database newer than this build is refused
 * rather than guessed at.
 */
import Database from 'better-sqlite3';
import { StoreError } from './errors.ts';
import { LATEST_VERSION, MIGRATIONS } from './migrations/index.ts';

export type Db = Database.Database;

export function schemaVersion(db: Db): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!has) return 0;
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Apply every migration above the current version up to `target` (default: the latest). */
export function migrate(db: Db, target: number = LATEST_VERSION): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const current = schemaVersion(db);
  if (current > LATEST_VERSION) {
    throw new StoreError(
      'STORE_TOO_NEW',
      `The database is at schema version ${current}, but this Vocab Tuner only knows up to version ${LATEST_VERSION}. Update Vocab Tuner; your data is untouched.`,
    );
  }
  const insert = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    // One transaction per migration: a crash mid-migration leaves the previous version intact.
    db.transaction(() => {
      db.exec(m.sql);
      insert.run(m.version, m.name, new Date().toISOString());
    })();
  }
  return schemaVersion(db);
}

export type OpenDbOptions = { targetVersion?: number; readonly?: boolean };

/** Open (creating if needed) the database at `file` and migrate it. `:memory:` works for tests. */
export function openDb(file: string, opts: OpenDbOptions = {}): Db {
  let db: Db;
  try {
    // Under Electron the app points at a better-sqlite3 binary rebuilt for Electron's ABI
    // (src-main/electron/bootstrap.mjs); plain Node uses node_modules' own.
    const nativeBinding = process.env.VOCAB_TUNER_SQLITE_BINDING || undefined;
    db = new Database(file, { readonly: opts.readonly ?? false, nativeBinding });
  } catch (e) {
    throw new StoreError('STORE_OPEN_FAILED', `Could not open the database ${file}: ${(e as Error).message}. Check that the data directory is writable.`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    if (!opts.readonly) migrate(db, opts.targetVersion);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
