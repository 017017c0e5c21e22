/**
 * @file What the model picker shows: the known models (with whether each is downloaded and how
 * much disk it takes) plus any other model repos found in the shared HF cache, e.g. ones Python
 * tools downloaded or folders imported as local/<name>. Plain data, safe to send over IPC.
 */
import { hubCacheDir, listCachedModels, type CachedModel } from './hf-cache.ts';
import { KNOWN_MODELS, type KnownModel } from './known-models.ts';

export type CatalogEntry = KnownModel & { cached: boolean; sizeOnDisk: number; snapshotDir: string | null };

export type ModelCatalog = { cacheDir: string; known: CatalogEntry[]; others: CachedModel[] };

export function modelCatalog(cacheDir: string = hubCacheDir()): ModelCatalog {
  const cached = listCachedModels(cacheDir);
  const byRepo = new Map(cached.map((c) => [c.repo, c]));
  const known = KNOWN_MODELS.map((m) => {
    const c = byRepo.get(m.repo);
    const main = c?.usable && c.refs.main ? `${c.dir}/snapshots/${c.refs.main}` : null;
    return { ...m, cached: !!main, sizeOnDisk: c?.sizeOnDisk ?? 0, snapshotDir: main };
  });
  const others = cached.filter((c) => !KNOWN_MODELS.some((m) => m.repo === c.repo));
  return { cacheDir, known, others };
}
