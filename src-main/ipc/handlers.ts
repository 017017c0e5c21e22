/**
 * @file The API's implementation over the data store and the job host. Shared by Electron main
 * and `vocab-tuner serve`; transport concerns (senders, tokens, validation) live elsewhere, so
 * every handler here receives arguments that already passed `validate.ts`.
 *
 * Capabilities that have not landed yet answer NOT_AVAILABLE with the issue that brings them;
 * the renderer shows that sentence instead of fake data.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UserError } from '../cli/errors.ts';
import type { Store } from '../store/store.ts';
import { getOrCreateProject } from '../store/projects.ts';
import { addTerm, listTerms, removeTerm, updateTerm, type Term as StoreTerm } from '../store/terms.ts';
import type { JobHost } from '../jobs/host.ts';
import type { AppInfo, BackendInfo, Events, Handlers, Term } from './contract.ts';

export interface HandlerContext {
  store: Store;
  jobs: JobHost;
  mode: AppInfo['mode'];
  /** Broadcast an event to every connected renderer. */
  emit<E extends keyof Events>(event: E, payload: Events[E]): void;
}

const BACKENDS_JOB = fileURLToPath(new URL('../jobs/backends-job.ts', import.meta.url));

function notAvailable(what: string, issue: number): never {
  throw new UserError('NOT_AVAILABLE', `${what} is not available yet: it lands with issue #${issue}.`);
}

function toTerm(t: StoreTerm): Term {
  return { id: t.id, text: t.text, notes: t.notes, soundsLike: t.soundsLike, wantedClips: t.wantedClips, createdAt: t.createdAt };
}

export function createHandlers(ctx: HandlerContext): Handlers {
  const { store } = ctx;
  const project = getOrCreateProject(store.db);
  const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  let backends: Promise<BackendInfo> | null = null;

  const ownTerm = (id: number): void => {
    const t = listTerms(store.db, project.id).find((x) => x.id === id);
    if (!t) throw new UserError('NOT_FOUND', `There is no term with id ${id}; it may have been removed in another window.`);
  };

  return {
    'app.info': () => ({ version, dataDir: store.dataDir, mode: ctx.mode }),

    'backends.list': () => {
      // Probed once, in a job process: that is where tfjs runs, and probing loads Dawn.
      backends ??= (async () => {
        const id = ctx.jobs.start('probe', BACKENDS_JOB, {});
        const o = await ctx.jobs.wait(id);
        if (o.status !== 'done') {
          backends = null;
          throw new UserError(o.error?.code ?? 'INTERNAL', o.error?.message ?? 'Probing the compute backends did not finish.');
        }
        return o.result as BackendInfo;
      })();
      return backends;
    },

    'terms.list': () => listTerms(store.db, project.id).map(toTerm),
    'terms.add': (input) => {
      const t = toTerm(addTerm(store.db, project.id, input));
      ctx.emit('data.changed', { what: 'terms' });
      return t;
    },
    'terms.update': (id, patch) => {
      ownTerm(id);
      const t = toTerm(updateTerm(store.db, id, patch));
      ctx.emit('data.changed', { what: 'terms' });
      return t;
    },
    'terms.remove': (id) => {
      ownTerm(id);
      removeTerm(store.db, id);
      ctx.emit('data.changed', { what: 'terms' });
    },

    'script.get': () => notAvailable('The recording script', 4),
    'clips.list': () => notAvailable('The clip list', 4),
    'clips.save': () => notAvailable('Saving recordings', 4),
    'clips.import': () => notAvailable('Importing audio files', 4),
    'clips.update': () => notAvailable('Editing clips', 4),
    'clips.remove': () => notAvailable('Removing clips', 4),
    'clips.audio': () => notAvailable('Clip playback', 4),
    'runs.list': () => notAvailable('The run history', 3),
    'tune.start': () => notAvailable('Tuning', 3),
    'tune.cancel': (jobId) => ctx.jobs.cancel(jobId),
    'compare.run': () => notAvailable('Comparing base and tuned models', 5),
    'models.list': () => notAvailable('The model manager', 7),
    'models.download': () => notAvailable('Model downloads', 7),
  };
}
