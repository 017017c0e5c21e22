/**
 * @file Jobs of the model manager, in a job process because each reads or writes whole
 * checkpoints (hundreds of MB to GB): `download` (Hub → HF cache, with byte progress), `import`
 * (a local HF folder → the cache as local/<name>, validated) and `export` (a tuned run → merged HF
 * folder, PEFT adapter, or whisper.cpp ggml file). One module, `params.action` picks.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { downloadModel, formatBytes } from '../models/download.ts';
import { importLocalModel } from '../models/import-local.ts';
import { exportGgmlTuned, exportHf, exportPeft } from '../tuning/export.ts';
import { UserError } from '../util/errors.ts';
import type { JobContext } from './protocol.ts';

export type ModelsJobParams =
  | { action: 'download'; repo: string }
  | { action: 'import'; dir: string }
  | { action: 'export'; format: 'hf' | 'peft' | 'ggml'; modelDir: string; adapterDir: string; outDir: string; scale: number };

/** What each action returns (jobs/contract.ts gives each action its own entry). */
export interface ModelsJobResults {
  download: { repo: string; snapshotDir: string; fromCache: boolean; offline: boolean };
  import: { repo: string; snapshotDir: string; alreadyImported: boolean };
  export: Record<string, unknown>;
}

export async function run(p: ModelsJobParams, ctx: JobContext): Promise<ModelsJobResults[ModelsJobParams['action']]> {
  if (p.action === 'download') {
    const r = await downloadModel(p.repo, {
      signal: ctx.signal,
      onProgress: (x) =>
        ctx.progress({ done: x.overallBytes, total: x.overallTotal, message: `${x.file} · ${formatBytes(x.overallBytes)} of ${formatBytes(x.overallTotal)} · ${formatBytes(x.speed)}/s`, etaSec: x.eta }),
    });
    return { repo: r.repo, snapshotDir: r.snapshotDir, fromCache: r.fromCache, offline: r.offline };
  }
  if (p.action === 'import') {
    ctx.progress({ done: 0, total: 1, message: 'checking the folder' });
    const r = await importLocalModel(p.dir, { onFile: (f) => ctx.progress({ done: 0, total: 1, message: `copying ${f}` }) });
    return { repo: r.repo, snapshotDir: r.snapshotDir, alreadyImported: r.alreadyImported };
  }
  // export: refuse to write into a non-empty folder (the user's files are not ours to replace).
  if (existsSync(p.outDir) && readdirSync(p.outDir).length > 0) {
    throw new UserError('EXPORT_TARGET_EXISTS', `${p.outDir} already exists and is not empty; choose a new folder so nothing there is overwritten.`);
  }
  ctx.progress({ done: 0, total: 1, message: `exporting (${p.format})` });
  const args = { modelDir: p.modelDir, adapter: p.adapterDir, scale: p.scale };
  if (p.format === 'hf') return exportHf({ ...args, out: p.outDir });
  if (p.format === 'peft') return exportPeft({ ...args, out: p.outDir });
  return exportGgmlTuned({ ...args, out: path.join(p.outDir, 'ggml-model.bin') }, { onTensor: (_n, i, n) => ctx.progress({ done: i + 1, total: n, message: 'writing ggml tensors' }) });
}
