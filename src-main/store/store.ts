/**
 * The open data store: a data directory plus its database. Everything else in src-main/store is
 * plain functions taking `db` (rows only) or `store` (rows + files).
 *
 *   const store = openStore(resolveDataDir({ flag: argv.dataDir }));
 *   const project = getOrCreateProject(store.db);
 *   saveRecording(store, project.id, { samples, transcript: { text, source: 'typed' } });
 *   closeStore(store);
 */
import fs from 'node:fs';
import { openDb, type Db, type OpenDbOptions } from './db.ts';
import { dataLayout, type DataLayout } from './paths.ts';

export type Store = { dataDir: string; db: Db; layout: DataLayout };

export function openStore(dataDir: string, opts: OpenDbOptions = {}): Store {
  const layout = dataLayout(dataDir);
  fs.mkdirSync(layout.audio, { recursive: true });
  return { dataDir, db: openDb(layout.db, opts), layout };
}

export function closeStore(store: Store): void {
  store.db.close();
}

export function nowIso(): string {
  return new Date().toISOString();
}
