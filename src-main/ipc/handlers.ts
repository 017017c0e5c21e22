/**
 * @file The API's implementation over the data store and the job host. Shared by Electron main
 * and `vocab-tuner serve`; transport concerns (senders, tokens, validation) live elsewhere, so
 * every handler here receives arguments that already passed `validate.ts`.
 *
 * Tuning, comparison and pre-labelling live in `handlers-tuning.ts`, the model manager in
 * `handlers-models.ts`; both start jobs and record their outcomes here in the store.
 */
import { createRequire } from 'node:module';
import { UserError } from '../util/errors.ts';
import type { Store } from '../store/store.ts';
import { getOrCreateProject } from '../store/projects.ts';
import { addTerm, listTerms, removeTerm, termMatcher, updateTerm, type Term as StoreTerm } from '../store/terms.ts';
import { addPrompts, listPrompts } from '../store/prompts.ts';
import { coverage, generateScript } from '../store/script.ts';
import { deleteRecording, getRecording, listRecordings, readRecordingSamples, saveRecording, STORE_SAMPLE_RATE, type RecordingListItem } from '../store/recordings.ts';
import { setTranscript } from '../store/transcripts.ts';
import { setSplit } from '../store/splits.ts';
import { checkClipHeader } from '../audio/clip-header.ts';
import { AUDIO_LIMITS, tooLong } from '../audio/limits.ts';
import { decodeClientAudio } from '../jobs/decode-client.ts';
import type { JobHost } from '../jobs/host.ts';
import { readSettings, writeSettings, jobEnv } from './app-settings.ts';
import { tuningHandlers } from './handlers-tuning.ts';
import { modelHandlers } from './handlers-models.ts';
import { recipeHandlers } from './handlers-recipe.ts';
import { tryHandlers } from './handlers-try.ts';
import type { AppInfo, BackendInfo, Clip, Events, FolderPurpose, Handlers, Term } from './contract.ts';

export interface HandlerContext {
  store: Store;
  jobs: JobHost;
  mode: AppInfo['mode'];
  /** Broadcast an event to every connected renderer. */
  emit<E extends keyof Events>(event: E, payload: Events[E]): void;
  /** The desktop app's native folder picker (electron/dialogs.ts); absent in browser mode. */
  pickFolder?(purpose: FolderPurpose): Promise<string | null>;
}


function toTerm(t: StoreTerm): Term {
  return { id: t.id, text: t.text, notes: t.notes, soundsLike: t.soundsLike, wantedClips: t.wantedClips, createdAt: t.createdAt };
}

function toClip(r: RecordingListItem, terms: (text: string) => StoreTerm[]): Clip {
  const transcript = r.transcript ?? '';
  return {
    id: r.id,
    promptId: r.promptId,
    transcript,
    split: r.split,
    durationSec: r.durationS,
    termIds: terms(transcript).map((t) => t.id),
    source: r.source,
    createdAt: r.createdAt,
  };
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

  const matcher = () => termMatcher(listTerms(store.db, project.id));
  const clipById = (id: number): Clip => {
    const r = listRecordings(store.db, project.id).find((x) => x.id === id);
    if (!r) throw new UserError('NOT_FOUND', `There is no clip with id ${id}; it may have been deleted in another window.`);
    return toClip(r, matcher());
  };
  const clipsChanged = () => ctx.emit('data.changed', { what: 'clips' });
  const script = () => ({
    prompts: listPrompts(store.db, project.id).map((p) => ({ id: p.id, text: p.text, kind: p.kind, termIds: p.termId === null ? [] : [p.termId], takes: p.takes })),
    coverage: coverage(store.db, project.id).map((c) => ({ termId: c.termId, text: c.text, prompts: c.prompts, clips: c.recorded, goal: c.wanted })),
  });

  return {
    'app.info': () => ({ version, dataDir: store.dataDir, mode: ctx.mode }),

    'app.pickFolder': async ({ purpose }) => {
      // In a browser the folder must be typed: the page cannot see the back end's file system.
      if (!ctx.pickFolder) throw new UserError('NOT_AVAILABLE', 'A folder picker exists only in the desktop app; type the folder\'s path on the machine running Vocab Tuner.');
      return ctx.pickFolder(purpose);
    },

    // A whole folder in or out, in a job (import decodes every clip); the page follows its events.
    'dataset.import': ({ path: dir, skipDuplicates }) => {
      const jobId = ctx.jobs.start('dataset-import', { action: 'import', dataDir: store.dataDir, dir, skipDuplicates });
      void ctx.jobs.wait(jobId).then(clipsChanged, () => {});
      return { jobId };
    },
    'dataset.export': ({ outDir }) => ({ jobId: ctx.jobs.start('dataset-export', { action: 'export', dataDir: store.dataDir, outDir }) }),

    'backends.list': () => {
      // Probed once, in a job process: that is where tfjs runs, and probing loads Dawn.
      backends ??= (async () => {
        const id = ctx.jobs.start('backends', {}, { env: jobEnv(readSettings(store.dataDir)) });
        const o = await ctx.jobs.wait(id);
        if (o.status !== 'done') {
          backends = null;
          throw new UserError(o.error?.code ?? 'INTERNAL', o.error?.message ?? 'Probing the compute backends did not finish.');
        }
        return o.result;
      })();
      return backends;
    },

    'terms.list': () => listTerms(store.db, project.id).map(toTerm),
    'terms.add': (input) => {
      // A new term gets its sentences at once (the store's generator: the term at the start, middle
      // and end, plural/possessive forms, and sound-alike negatives), so Record has prompts.
      const t = store.db.transaction(() => {
        const term = addTerm(store.db, project.id, input);
        addPrompts(store.db, project.id, generateScript([term]));
        return toTerm(term);
      })();
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

    'script.get': () => script(),
    'clips.list': (filter) => {
      const match = matcher();
      const rows = listRecordings(store.db, project.id, { search: filter.search, split: filter.split });
      const clips = rows.map((r) => toClip(r, match));
      return filter.termId === undefined ? clips : clips.filter((c) => c.termIds.includes(filter.termId!));
    },
    'clips.save': async (input) => {
      // The renderer sends the take at its capture rate; the one tested resampler makes it 16 kHz,
      // in a job process (a 30 s take at 192 kHz is most of a second of CPU). Too long: refused first.
      const seconds = input.pcm.length / input.sampleRate;
      if (seconds > AUDIO_LIMITS.clipSeconds) throw tooLong('the take', seconds, AUDIO_LIMITS.clipSeconds);
      const samples = input.sampleRate === STORE_SAMPLE_RATE ? input.pcm : await decodeClientAudio(ctx.jobs, { pcm: input.pcm, sampleRate: input.sampleRate, name: 'the take' });
      const text = input.transcript.trim();
      const prompt = input.promptId === null ? null : listPrompts(store.db, project.id).find((p) => p.id === input.promptId);
      if (input.promptId !== null && !prompt) throw new UserError('NOT_FOUND', `There is no prompt with id ${input.promptId}; reload the script.`);
      const rec = saveRecording(store, project.id, {
        samples,
        promptId: input.promptId,
        transcript: text ? { text, source: prompt && prompt.text === text ? 'prompt' : 'typed' } : null,
        source: 'recorded',
      });
      clipsChanged();
      return clipById(rec.id);
    },
    'clips.import': async (input) => {
      // The header decides in microseconds (a 2 KB WAV claiming 1 Hz, a FLAC claiming hours);
      // only plausible files are decoded, and then in a memory-capped job process.
      checkClipHeader(input.bytes, input.name);
      const samples = await decodeClientAudio(ctx.jobs, { bytes: input.bytes, name: input.name });
      const text = input.transcript?.trim();
      const rec = saveRecording(store, project.id, { samples, transcript: text ? { text, source: 'import' } : null, source: 'imported', sourceName: input.name });
      clipsChanged();
      return clipById(rec.id);
    },
    'clips.update': (id, patch) => {
      clipById(id);
      store.db.transaction(() => {
        if (patch.transcript !== undefined) setTranscript(store.db, id, patch.transcript, 'typed');
        if (patch.split !== undefined) setSplit(store.db, id, patch.split);
      })();
      clipsChanged();
      return clipById(id);
    },
    'clips.remove': (id) => {
      clipById(id);
      deleteRecording(store, id);
      clipsChanged();
    },
    'clips.audio': (id) => {
      clipById(id);
      return { sampleRate: STORE_SAMPLE_RATE, pcm: readRecordingSamples(store, getRecording(store.db, id)) };
    },
    'jobs.cancel': (jobId) => ctx.jobs.cancel(jobId),
    ...tuningHandlers({ store, jobs: ctx.jobs, projectId: project.id, emit: ctx.emit }),
    ...modelHandlers({ store, jobs: ctx.jobs, projectId: project.id, emit: ctx.emit }),
    ...recipeHandlers({ store, jobs: ctx.jobs, projectId: project.id }),
    ...tryHandlers({ store, jobs: ctx.jobs, projectId: project.id }),
    'settings.get': () => readSettings(store.dataDir),
    'settings.set': (patch) => {
      const next = writeSettings(store.dataDir, patch);
      backends = null; // the next probe runs with the new choice
      return next;
    },
  };
}
