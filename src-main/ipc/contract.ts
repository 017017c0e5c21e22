/**
 * @file THE contract between the app's back end (Electron main or `vocab-tuner serve`) and the
 * renderer: every API channel with its argument and result types, every event with its payload,
 * and the error codes a call can fail with. One file, so a channel cannot exist on one side only.
 *
 * The renderer imports this file with `import type` only; the two runtime lists below (channel
 * names) are used by the preload, the validators and the server. Payloads are plain data and
 * typed arrays (structured clone in Electron; `wire.ts` tags typed arrays for the WebSocket).
 */

import type { AlignOp, CompareReport } from '../eval/types.ts';

export type { CompareReport };
import type { TuneSettings } from '../tuning/config.ts';

// ---- plain data --------------------------------------------------------------------------------

export type Split = 'train' | 'validation' | 'test' | 'general';

/** A vocabulary term, exact spelling. `soundsLike`: what Whisper hears instead ("cooler"). */
export interface Term {
  id: number;
  text: string;
  notes: string | null;
  soundsLike: string[];
  /** Coverage goal: clips of this term the script asks for. */
  wantedClips: number;
  createdAt: string;
}

/** One sentence of the recording script. `termIds` are the terms it exercises (empty: general). */
export interface Prompt {
  id: number;
  text: string;
  /** 'negative': a sound-alike sentence that must NOT become the term ("pie torch"). */
  kind: 'term' | 'negative' | 'general';
  termIds: number[];
  /** Number of accepted clips recorded for this prompt. */
  takes: number;
}

/** How well the recorded data covers one term: takes per term and whether it reached the goal. */
export interface TermCoverage {
  termId: number;
  text: string;
  prompts: number;
  clips: number;
  goal: number;
}

export interface TermInput {
  text: string;
  notes?: string | null;
  soundsLike?: string[];
  wantedClips?: number;
}

export interface Script {
  prompts: Prompt[];
  coverage: TermCoverage[];
}

/** A stored clip: 16 kHz mono audio plus its transcript. */
export interface Clip {
  id: number;
  promptId: number | null;
  transcript: string;
  /** null until splits are assigned (the store assigns them, stratified by term). */
  split: Split | null;
  durationSec: number;
  termIds: number[];
  source: 'recorded' | 'imported';
  createdAt: string;
}

export interface ClipFilter {
  search?: string;
  split?: Split;
  termId?: number;
}

export interface ClipAudio {
  sampleRate: number;
  pcm: Float32Array;
}

export interface BackendInfo {
  chosen: string;
  reason: string;
  probes: { name: string; label: string; available: boolean; detail: string; device?: string; accelerated: boolean }[];
  /** CPU threads when the chosen backend is wasm. */
  threads?: number;
  /** Cores the machine offers (the 'automatic' thread count). */
  cores?: number;
}

export interface AppInfo {
  version: string;
  dataDir: string;
  mode: 'electron' | 'browser';
}

/**
 * The Advanced panel's settings, spelled as the trainer spells them (`tuning/config.ts`, where the
 * one preset and the panel → trainer mapping live); `null` in `tune.start` means the preset, which
 * `tune.preset` returns for the panel to show.
 */
export type { TuneSettings };

export interface RunSummary {
  id: number;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string | null;
  config: TuneSettings;
  /** The base model the run tuned (a Hub id, `local/<name>` or a folder). */
  baseModel: string | null;
  /** Vocabulary the run was tuned for (the comparison scores these). */
  terms: string[];
  /** Steps trained and planned (from the run folder; null before training started). */
  steps: number | null;
  totalSteps: number | null;
  /** The checkpoint kept as best/ (the trainer's score, higher is better; null without validation clips). */
  best: { step: number; score: number | null } | null;
  /** Whether a comparison report exists for this run. */
  compared: boolean;
  /** A checkpoint exists and the run did not finish: `runs.resume` continues it. */
  resumable: boolean;
  error: string | null;
}

/** One row of "What changed": relative weight change of a module group (`tuning/change-report.ts`). */
export interface ModuleChange {
  group: string;
  stack: 'encoder' | 'decoder' | 'output';
  layer: number | null;
  kind: string;
  params: number;
  baseNorm: number;
  deltaNorm: number;
  relative: number | null;
}

/** A run with its curves and its change report, for the charts after a run. */
export interface RunDetail extends RunSummary {
  history: { step: number; loss: number; lr: number }[];
  /** termLogprob: summed log-probability of the terms' tokens on validation clips (higher is better). */
  evals: { step: number; valLoss: number; termLogprob: number | null; termRecall: number | null; generalLossDrift: number | null; guardOk: boolean }[];
  changeReport: ModuleChange[] | null;
  /** Where the run's files are (on the machine that trains). */
  runDir: string;
}

/** What removing a model deletes, and what it leaves alone (shown in the confirmation first). */
export interface ModelRemoval {
  id: string;
  /** Folders deleted, with their total size. */
  deletes: string[];
  bytes: number;
  /** Sentences on what stays: the rest of the Hugging Face cache, recordings, runs. */
  keeps: string[];
  /** False for a dry run (`dryRun: true`): nothing was deleted yet. */
  removed: boolean;
}

/** What a native folder picker is for (its title and button). */
export type FolderPurpose = 'model-import' | 'model-export' | 'recipe-export' | 'dataset-import' | 'dataset-export';

export interface ModelInfo {
  /** Hub repo id ("openai/whisper-tiny.en", "local/my-model") or "run:<id>" for a tuned model. */
  id: string;
  name: string;
  kind: 'base' | 'tuned';
  /** Present on this machine (downloaded, imported, or trained here). */
  local: boolean;
  sizeBytes: number | null;
  /** The project's base model: what Tune trains and Compare compares against. */
  isBase: boolean;
  /** Short description: parameters and language for known models, the run for tuned ones. */
  detail: string;
}

export type BackendSetting = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface Settings {
  /** Compute backend for jobs (tuning, comparison, transcription); 'auto' picks the fastest. */
  backend: BackendSetting;
  /**
   * CPU threads for the wasm backend in jobs (VOCAB_TUNER_THREADS); 0 = every core the machine
   * offers. Fewer leaves cores for other work while a tune runs.
   */
  threads: number;
}

export type ExportFormat = 'hf' | 'peft' | 'ggml';

/** One utterance for Try it: audio at the microphone's rate and which models hear it. */
export interface TryRequest {
  pcm: Float32Array;
  sampleRate: number;
  /** The tuned model: a finished run (null: the base model alone). */
  runId: number | null;
  /** Adapter scale (0 = base, 1 = as trained). */
  scale: number;
  /** What the speaker meant to say, for the token probabilities; default: the transcript that has a term. */
  expected?: string;
  /** Add a third column: the base model with the vocabulary as its initial prompt. */
  withPrompt?: boolean;
}

export interface TryTranscript {
  label: 'base' | 'tuned' | 'base + prompt';
  text: string;
  /** Wall time of this model's transcription (its encoder pass included unless shared). */
  ms: number;
  /** The encoder output was reused from the base model (the adapter leaves the encoder alone). */
  encoderShared: boolean;
}

/** One occurrence of a term, teacher-forced in both models. Probabilities are of the whole term. */
export interface TryTermProbe {
  term: string;
  tokens: string[];
  base: { prob: number; firstTokenProb: number; top: { text: string; prob: number } | null };
  tuned: { prob: number; firstTokenProb: number; top: { text: string; prob: number } | null } | null;
}

export interface TryResult {
  transcripts: TryTranscript[];
  /** The text the probabilities are for (null: no term in any transcript and none expected). */
  probeText: string | null;
  probes: TryTermProbe[];
  /** Word diff from the base transcript to the tuned one (null without a tuned model). */
  diff: AlignOp[] | null;
  terms: string[];
  durationSec: number;
  loadMs: number;
  encoderRuns: number;
}

// ---- the API -----------------------------------------------------------------------------------

/** Channel → call signature. Every call resolves to an `IpcResult` of the return type. */
export interface Api {
  'app.info': () => AppInfo;
  'backends.list': () => BackendInfo;
  'terms.list': () => Term[];
  'terms.add': (input: TermInput) => Term;
  'terms.update': (id: number, patch: Partial<TermInput>) => Term;
  'terms.remove': (id: number) => void;
  'script.get': () => Script;
  'clips.list': (filter: ClipFilter) => Clip[];
  /** `pcm` at `sampleRate` (any rate, mono); the back end resamples to 16 kHz before storing. */
  'clips.save': (input: { promptId: number | null; transcript: string; pcm: Float32Array; sampleRate: number }) => Clip;
  /** A dropped audio file (WAV or anything `decodeAudioBytes` reads). */
  'clips.import': (input: { name: string; bytes: Uint8Array; transcript?: string }) => Clip;
  'clips.update': (id: number, patch: { transcript?: string; split?: Split }) => Clip;
  'clips.remove': (id: number) => void;
  'clips.audio': (id: number) => ClipAudio;
  /** Transcribe clips with the base model (stored with source base_model); default: clips without a transcript. */
  'clips.prelabel': (input: { ids?: number[] }) => { jobId: string };
  'runs.list': () => RunSummary[];
  'runs.get': (id: number) => RunDetail;
  /** Continue a failed, cancelled or interrupted run from its last checkpoint. */
  'runs.resume': (id: number) => { runId: number; jobId: string };
  /** The preset as panel settings (what `tune.start(null)` trains with). */
  'tune.preset': () => TuneSettings;
  'tune.start': (settings: TuneSettings | null) => { runId: number; jobId: string };
  /** Writes a run's cluster recipe (transformers + PEFT + accelerate) into `outDir` (on the machine that trains). */
  'runs.exportRecipe': (input: { runId: number; outDir: string }) => { jobId: string };
  /** Try it: transcribes one utterance with the base and a run's tuned model side by side (a job). */
  'try.run': (input: TryRequest) => { jobId: string };
  /** The finished try's result (kept until 8 newer tries), or null while it runs. */
  'try.result': (jobId: string) => TryResult | null;
  /** Cancels any running job (tuning, comparison, download): cooperative first, then killed. */
  'jobs.cancel': (jobId: string) => void;
  /** Compares base and the run's tuned model on its held-out clips; `scale` joins the trade-off sweep. */
  'compare.run': (input: { runId: number; scale?: number }) => { jobId: string };
  /** The run's last comparison, or null when it has not been compared. */
  'compare.get': (runId: number) => CompareReport | null;
  'models.list': () => ModelInfo[];
  'models.download': (input: { repo: string }) => { jobId: string };
  /** Imports a local Hugging Face Whisper folder (validated) and returns it. */
  'models.import': (input: { path: string }) => ModelInfo;
  'models.setBase': (id: string) => void;
  /** Removes a downloaded or imported model from the Hugging Face cache; `dryRun` only says what would go. */
  'models.remove': (input: { id: string; dryRun?: boolean }) => ModelRemoval;
  /** Imports an audiofolder (metadata.csv/jsonl or .txt beside each clip) in a job; all or nothing. */
  'dataset.import': (input: { path: string; skipDuplicates?: boolean }) => { jobId: string };
  /** Exports the clips as a Hugging Face audiofolder into a new, empty folder, in a job. */
  'dataset.export': (input: { outDir: string }) => { jobId: string };
  /** The desktop app's native folder picker (null when cancelled); NOT_AVAILABLE in browser mode. */
  'app.pickFolder': (input: { purpose: FolderPurpose }) => string | null;
  /** Writes a tuned model to `outDir` (on the machine that trains): merged HF folder, PEFT adapter, or ggml. */
  'models.export': (input: { runId: number; format: ExportFormat; outDir: string; scale?: number }) => { jobId: string };
  'settings.get': () => Settings;
  'settings.set': (patch: Partial<Settings>) => Settings;
}

export type Channel = keyof Api;

/** Runtime list of channels (preload allow-list, validators). A type test keeps it equal to `Api`. */
export const API_CHANNELS = [
  'app.info',
  'backends.list',
  'terms.list',
  'terms.add',
  'terms.update',
  'terms.remove',
  'script.get',
  'clips.list',
  'clips.save',
  'clips.import',
  'clips.update',
  'clips.remove',
  'clips.audio',
  'clips.prelabel',
  'runs.list',
  'runs.get',
  'runs.resume',
  'tune.preset',
  'tune.start',
  'runs.exportRecipe',
  'try.run',
  'try.result',
  'jobs.cancel',
  'compare.run',
  'compare.get',
  'models.list',
  'models.download',
  'models.import',
  'models.setBase',
  'models.remove',
  'app.pickFolder',
  'dataset.import',
  'dataset.export',
  'models.export',
  'settings.get',
  'settings.set',
] as const satisfies readonly Channel[];

export type ApiArgs<K extends Channel> = Parameters<Api[K]>;
export type ApiResult<K extends Channel> = ReturnType<Api[K]>;

// ---- events (back end → renderer) --------------------------------------------------------------

export type JobKind = 'tune' | 'compare' | 'transcribe' | 'probe' | 'download' | 'import' | 'export' | 'selftest' | 'decode';

export interface Events {
  /** A long job reports progress; `metrics` carries e.g. loss and term probability per step. */
  'job.progress': { jobId: string; kind: JobKind; done: number; total: number; etaSec: number | null; message: string; metrics: Record<string, number> };
  'job.finished': { jobId: string; kind: JobKind; status: 'done' | 'failed' | 'cancelled'; error: IpcError | null };
  /** The dataset changed (another window, an import finished): re-read lists. */
  'data.changed': { what: 'terms' | 'clips' | 'runs' | 'models' };
  /** The Electron menu's Go items. */
  'app.navigate': { page: Page };
}

export type Page = 'Vocabulary' | 'Record' | 'Dataset' | 'Tune' | 'Compare' | 'Try' | 'Models' | 'Settings';

export type EventName = keyof Events;

export const EVENT_CHANNELS = ['job.progress', 'job.finished', 'data.changed', 'app.navigate'] as const satisfies readonly EventName[];

// ---- results and errors ------------------------------------------------------------------------

/** Codes the renderer can rely on; back-end modules may add their own UPPER_SNAKE codes. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN',
  'NOT_FOUND',
  'NOT_AVAILABLE',
  'AUDIO_DECODE_FAILED',
  'CANCELLED',
  'BUSY',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number] | (string & { readonly __upperSnake?: never });

export interface IpcError {
  code: ErrorCode;
  message: string;
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** The back end's side: one async handler per channel; a missing one is a compile error. */
export type Handlers = { [K in Channel]: (...args: ApiArgs<K>) => Promise<ApiResult<K>> | ApiResult<K> };

/** What the preload exposes as `window.api` and what the WebSocket client implements. */
export interface ApiClient {
  invoke<K extends Channel>(channel: K, ...args: ApiArgs<K>): Promise<IpcResult<ApiResult<K>>>;
  on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void;
}
