/**
 * @file The API's model manager: the known Whisper models, what the shared Hugging Face cache
 * holds (downloads and imported local folders), the tuned models of finished runs, which one is
 * the project's base model, and the jobs that download, import and export models
 * (`jobs/models-job.ts`). Reading and writing checkpoints happens in job processes; this file only
 * lists folders and records choices.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import type { Store } from '../store/store.ts';
import { setBaseModel } from '../store/projects.ts';
import { listRuns } from '../store/runs.ts';
import { hubCacheDir, listCachedModels, removeCachedModel, validateRepoId } from '../models/hf-cache.ts';
import { KNOWN_MODELS, resolveRepoId } from '../models/known-models.ts';
import { resolveModelDir } from '../models/model-ref.ts';
import type { JobHost } from '../jobs/host.ts';
import { baseModelRef, runBaseModelDir } from './base-model.ts';
import { runBaseModel } from '../tuning/run.ts';
import { jobEnv, readSettings } from './app-settings.ts';
import { runPaths } from '../tuning/run.ts';
import type { Events, Handlers, ModelInfo, ModelRemoval } from './contract.ts';


function folderBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const name of readdirSync(dir)) {
    const st = lstatSync(path.join(dir, name));
    n += st.isDirectory() ? folderBytes(path.join(dir, name)) : st.isFile() ? st.size : 0;
  }
  return n;
}

export interface ModelsContext {
  store: Store;
  jobs: JobHost;
  projectId: number;
  emit<E extends keyof Events>(event: E, payload: Events[E]): void;
}

type ModelHandlers = Pick<Handlers, 'models.list' | 'models.download' | 'models.import' | 'models.setBase' | 'models.remove' | 'models.export'>;

export function modelHandlers(ctx: ModelsContext): ModelHandlers {
  const { store, projectId } = ctx;
  const changed = () => ctx.emit('data.changed', { what: 'models' });
  /** A first model becomes the base at once: one step fewer before the first Tune. */
  const adoptIfNone = (ref: string) => {
    if (!baseModelRef(store.db, projectId)) setBaseModel(store.db, projectId, ref);
  };

  const list = (): ModelInfo[] => {
    const base = baseModelRef(store.db, projectId);
    const cached = new Map(listCachedModels().filter((c) => c.usable).map((c) => [c.repo, c]));
    const out: ModelInfo[] = KNOWN_MODELS.map((m) => ({
      id: m.repo,
      name: m.name,
      kind: 'base',
      local: cached.has(m.repo),
      sizeBytes: cached.get(m.repo)?.sizeOnDisk ?? m.sizeBytes,
      isBase: base === m.repo,
      detail: `${m.params} parameters · ${m.multilingual ? 'multilingual' : 'English'}`,
    }));
    for (const c of cached.values()) {
      if (KNOWN_MODELS.some((m) => m.repo === c.repo)) continue;
      out.push({ id: c.repo, name: c.repo, kind: 'base', local: true, sizeBytes: c.sizeOnDisk, isBase: base === c.repo, detail: c.repo.startsWith('local/') ? 'imported folder' : 'in the Hugging Face cache' });
    }
    if (base && !out.some((m) => m.id === base)) {
      out.push({ id: base, name: path.basename(base), kind: 'base', local: existsSync(base), sizeBytes: null, isBase: true, detail: base });
    }
    for (const r of listRuns(store.db, projectId).filter((x) => x.status === 'succeeded').reverse()) {
      const from = runBaseModel(r) ?? 'the base model';
      out.push({ id: `run:${r.id}`, name: `Run #${r.id}`, kind: 'tuned', local: true, sizeBytes: folderBytes(path.join(runPaths(store.dataDir, r.id).run, 'best')), isBase: false, detail: `tuned from ${from}` });
    }
    return out;
  };
  const runOf = (id: number) => {
    const r = listRuns(store.db, projectId).find((x) => x.id === id);
    if (!r) throw new UserError('NOT_FOUND', `There is no run #${id}.`);
    if (r.status !== 'succeeded') throw new UserError('RUN_NOT_DONE', `Run #${id} did not finish, so it has no tuned model to export.`);
    return r;
  };

  return {
    'models.list': () => list(),

    'models.download': ({ repo }) => {
      const id = validateRepoId(resolveRepoId(repo));
      const jobId = ctx.jobs.start('model-download', { action: 'download', repo: id });
      void ctx.jobs.wait(jobId).then((o) => {
        if (o.status === 'done') adoptIfNone(id);
        changed();
      }).catch(() => {});
      return { jobId };
    },

    'models.import': async ({ path: dir }) => {
      if (!existsSync(dir) || !lstatSync(dir).isDirectory()) {
        throw new UserError('FOLDER_NOT_FOUND', `There is no folder at ${dir} on the machine running Vocab Tuner; give the folder that holds config.json and model.safetensors.`);
      }
      // Validating reads every tensor: a job, so the serving loop stays free; the call waits for it.
      const o = await ctx.jobs.wait(ctx.jobs.start('model-import', { action: 'import', dir }));
      if (o.status !== 'done') throw new UserError(o.error?.code ?? 'CANCELLED', o.error?.message ?? 'The import was cancelled.');
      const { repo } = o.result;
      adoptIfNone(repo);
      changed();
      return list().find((m) => m.id === repo)!;
    },

    'models.setBase': (id) => {
      if (id.startsWith('run:')) throw new UserError('NOT_SUPPORTED', 'A tuned model cannot be the base for tuning: tune from the original base model, or export the tuned model as a Hugging Face folder and import that.');
      // A cached repo id only: "node_modules/tsx" must not resolve relative to the server's working
      // directory. MODEL_NOT_FOUND says how to download it.
      resolveModelDir(id, { relativePaths: false });
      setBaseModel(store.db, projectId, id);
      changed();
    },

    'models.remove': async ({ id, dryRun }): Promise<ModelRemoval> => {
      if (id.startsWith('run:')) {
        throw new UserError('NOT_SUPPORTED', 'A tuned model belongs to its run (its history, metrics and comparison): it is not removed from here. Export it if you want a copy elsewhere.');
      }
      const cacheDir = hubCacheDir();
      const cached = listCachedModels(cacheDir).find((c) => c.repo === id);
      if (!cached) throw new UserError('NOT_FOUND', `${id} is not in the Hugging Face cache (${cacheDir}); there is nothing to remove.`);
      const isBase = baseModelRef(store.db, projectId) === id;
      const keeps = [
        `Every other model in the Hugging Face cache (${cacheDir}) stays, including those other programs (transformers, huggingface_hub) downloaded.`,
        'Your recordings, runs, tuned models and comparisons stay: tuned models keep working once the base is downloaded again.',
        ...(isBase ? [`${id} is the project's base model: it stays selected, and Tune and Compare will ask you to download it again.`] : []),
      ];
      if (dryRun) return { id, deletes: [cached.dir], bytes: cached.sizeOnDisk, keeps, removed: false };
      // The download job writes into the cache: deleting under it would leave a half-written repo.
      if (ctx.jobs.running().some((j) => j.kind === 'download')) throw new UserError('BUSY', 'A model download is running; remove models when it has finished (or cancel it).');
      const r = await removeCachedModel(id, cacheDir);
      changed();
      return { id, deletes: [cached.dir], bytes: r.bytes, keeps, removed: r.removed };
    },

    'models.export': ({ runId, format, outDir, scale }) => {
      const r = runOf(runId);
      const modelDir = runBaseModelDir(store.db, projectId, r);
      const params = { action: 'export' as const, format, modelDir, adapterDir: runPaths(store.dataDir, runId).run, outDir, scale: scale ?? 1 };
      return { jobId: ctx.jobs.start('model-export', params, { env: jobEnv(readSettings(store.dataDir)) }) };
    },
  };
}
