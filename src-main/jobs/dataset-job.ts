/**
 * @file Job: a whole dataset folder in or out of the store, from the app (Dataset page) — the
 * same code as `vocab-tuner data import|export`. Import decodes every clip, so it runs here and
 * not in the process that serves the window; the job opens the store itself (SQLite in WAL mode
 * takes a second connection) and closes it when done.
 *
 *   params: { action: 'import', dataDir, dir, skipDuplicates? } | { action: 'export', dataDir, outDir }
 *   result: { imported, skipped } | { out, counts, skipped }
 */
import { importFolder } from '../store/import.ts';
import { exportAudiofolder } from '../store/export.ts';
import { getOrCreateProject } from '../store/projects.ts';
import { closeStore, openStore } from '../store/store.ts';
import type { JobContext } from './protocol.ts';

export type DatasetJobParams = { action: 'import'; dataDir: string; dir: string; skipDuplicates?: boolean } | { action: 'export'; dataDir: string; outDir: string };
export type DatasetImportResult = { imported: number; skipped: { name: string; reason: string }[] };
export type DatasetExportResult = { out: string; counts: Record<string, number>; skipped: number };

export async function run(p: DatasetJobParams, ctx: JobContext): Promise<DatasetImportResult | DatasetExportResult> {
  const store = openStore(p.dataDir);
  try {
    const project = getOrCreateProject(store.db);
    if (p.action === 'import') {
      const r = await importFolder(store, project.id, p.dir, {
        skipDuplicates: p.skipDuplicates,
        onProgress: (done, total, stage) => ctx.progress({ done: stage === 'check' ? done : total + done, total: 2 * total, message: `${stage === 'check' ? 'checking' : 'storing'} ${done}/${total}` }),
      });
      return { imported: r.imported.length, skipped: r.skipped };
    }
    ctx.progress({ done: 0, total: 1, message: 'writing the audiofolder' });
    const r = exportAudiofolder(store, project.id, p.outDir);
    return { out: r.out, counts: r.counts, skipped: r.skipped.length };
  } finally {
    closeStore(store);
  }
}
