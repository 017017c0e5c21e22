/**
 * @file Run-time validation of every API call, before its handler runs. The renderer is not
 * trusted (a compromised page, or any local process talking to `serve`), so arguments are checked
 * for shape, type and size here, once, for both transports.
 *
 * A validator is a function `(value, path) => string | null` returning the first problem found.
 * Hand-written combinators keep this dependency-free and the messages readable.
 */
import { API_CHANNELS, type Channel } from './contract.ts';
import { LIMITS } from './limits.ts';
import { unsafeTextProblem } from '../util/text-safety.ts';

type Check = (v: unknown, path: string) => string | null;

const MAX_TEXT = 10_000;
/** A recorded take: 30 s at up to 192 kHz (limits.ts); anything larger is not a clip. */
const MAX_SAMPLES = LIMITS.recordSamples;
/** Imported files (limits.ts: sized so the base64 message fits the WebSocket frame limit). */
const MAX_BYTES = LIMITS.importBytes;

/** Every string: typed, sized, and free of NUL / control / bidi-override characters (util/text-safety.ts). */
const str = (max = MAX_TEXT, min = 0): Check => (v, p) =>
  typeof v !== 'string' ? `${p} must be a string` : v.length < min ? (min === 1 ? `${p} must not be empty` : `${p} must have at least ${min} characters`) : v.length > max ? `${p} is longer than ${max} characters` : unsafeTextProblem(v, p);
const nonEmpty = (max = MAX_TEXT): Check => (v, p) => str(max, 1)(v, p) ?? ((v as string).trim() === '' ? `${p} must not be blank` : null);
const int = (min = 0, max = Number.MAX_SAFE_INTEGER): Check => (v, p) =>
  typeof v !== 'number' || !Number.isInteger(v) ? `${p} must be an integer` : v < min || v > max ? `${p} must be between ${min} and ${max}` : null;
const num = (min: number, max: number): Check => (v, p) =>
  typeof v !== 'number' || !Number.isFinite(v) ? `${p} must be a finite number` : v < min || v > max ? `${p} must be between ${min} and ${max}` : null;
const oneOf = (...values: readonly string[]): Check => (v, p) => (typeof v === 'string' && values.includes(v) ? null : `${p} must be one of ${values.join(', ')}`);
const nullable = (c: Check): Check => (v, p) => (v === null ? null : c(v, p));
const f32 = (max: number): Check => (v, p) => (!(v instanceof Float32Array) ? `${p} must be a Float32Array` : v.length === 0 ? `${p} is empty` : v.length > max ? `${p} has more than ${max} samples` : null);
const bytes = (max: number): Check => (v, p) => (!(v instanceof Uint8Array) ? `${p} must be a Uint8Array` : v.length === 0 ? `${p} is empty` : v.length > max ? `${p} is larger than ${max} bytes` : null);

/** An object with exactly these keys (`?` suffix: optional); unknown keys are refused. */
function obj(shape: Record<string, Check>): Check {
  const fields = Object.entries(shape).map(([k, c]) => ({ key: k.replace(/\?$/, ''), optional: k.endsWith('?'), check: c }));
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p} must be an object`;
    for (const key of Object.keys(v)) if (!fields.some((f) => f.key === key)) return `${p}.${key} is not a known field`;
    for (const f of fields) {
      const x = (v as Record<string, unknown>)[f.key];
      if (x === undefined) {
        if (!f.optional) return `${p}.${f.key} is required`;
        continue;
      }
      const e = f.check(x, `${p}.${f.key}`);
      if (e) return e;
    }
    return null;
  };
}

const SPLIT = oneOf('train', 'validation', 'test', 'general');
const strList = (maxItems: number, maxLen: number): Check => (v, p) => {
  if (!Array.isArray(v)) return `${p} must be a list`;
  if (v.length > maxItems) return `${p} has more than ${maxItems} entries`;
  for (let i = 0; i < v.length; i++) {
    const e = str(maxLen)(v[i], `${p}[${i}]`);
    if (e) return e;
  }
  return null;
};
const termFields = (optionalText: boolean): Record<string, Check> => ({
  [optionalText ? 'text?' : 'text']: nonEmpty(200),
  'notes?': nullable(str(2000)),
  'soundsLike?': strList(50, 200),
  'wantedClips?': int(0, 1000),
});
const TUNE_SETTINGS = obj({
  method: oneOf('lora', 'freeze', 'layernorm', 'bias', 'full'),
  lr: num(1e-8, 1),
  epochs: int(1, 1000),
  rank: int(1, 1024),
  regularizer: oneOf('distill', 'l2sp', 'ewc', 'none'),
  regWeight: num(0, 1e6),
  'steps?': int(1, 1_000_000),
});
/** A folder on the back end's machine: absolute, no NUL (the handler checks it exists). */
const folder: Check = (v, p) =>
  str(4096, 1)(v, p) ?? (/\0/.test(v as string) ? `${p} must not contain NUL` : !/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(v as string) ? `${p} must be an absolute path` : null);
const idList = (max: number): Check => (v, p) => {
  if (!Array.isArray(v)) return `${p} must be a list`;
  if (v.length > max) return `${p} has more than ${max} entries`;
  for (let i = 0; i < v.length; i++) {
    const e = int(1)(v[i], `${p}[${i}]`);
    if (e) return e;
  }
  return null;
};
const MODEL_ID: Check = (v, p) => str(300, 3)(v, p) ?? (/^(run:\d+|[\w.-]+\/[\w.-]+)$/.test(v as string) ? null : `${p} must be a model id (owner/name or run:N)`);

/** Argument checks per channel, positionally. */
const ARGS: { [K in Channel]: Check[] } = {
  'app.info': [],
  'backends.list': [],
  'terms.list': [],
  'terms.add': [obj(termFields(false))],
  'terms.update': [int(1), obj(termFields(true))],
  'terms.remove': [int(1)],
  'script.get': [],
  'clips.list': [obj({ 'search?': str(200), 'split?': SPLIT, 'termId?': int(1) })],
  'clips.save': [obj({ promptId: nullable(int(1)), transcript: str(), pcm: f32(MAX_SAMPLES), sampleRate: int(8000, 192000) })],
  'clips.import': [obj({ name: nonEmpty(500), bytes: bytes(MAX_BYTES), 'transcript?': str() })],
  'clips.update': [int(1), obj({ 'transcript?': str(), 'split?': SPLIT })],
  'clips.remove': [int(1)],
  'clips.audio': [int(1)],
  'clips.prelabel': [obj({ 'ids?': idList(100_000) })],
  'runs.list': [],
  'runs.get': [int(1)],
  'runs.resume': [int(1)],
  'tune.preset': [],
  'tune.start': [nullable(TUNE_SETTINGS)],
  'runs.exportRecipe': [obj({ runId: int(1), outDir: folder })],
  'try.run': [obj({ pcm: f32(MAX_SAMPLES), sampleRate: int(8000, 192000), runId: nullable(int(1)), scale: num(0, 2), 'expected?': str(2000), 'withPrompt?': (v, p) => (typeof v === 'boolean' ? null : `${p} must be true or false`) })],
  'try.result': [nonEmpty(100)],
  'jobs.cancel': [nonEmpty(100)],
  'compare.run': [obj({ runId: int(1), 'scale?': num(0, 2) })],
  'compare.get': [int(1)],
  'models.list': [],
  'models.download': [obj({ repo: (v, p) => str(200, 3)(v, p) ?? (/^[\w.-]+\/[\w.-]+$/.test(v as string) ? null : `${p} must look like owner/name`) })],
  'models.import': [obj({ path: folder })],
  'models.setBase': [MODEL_ID],
  'models.remove': [obj({ id: MODEL_ID, 'dryRun?': (v, p) => (typeof v === 'boolean' ? null : `${p} must be true or false`) })],
  'app.pickFolder': [obj({ purpose: oneOf('model-import', 'model-export', 'recipe-export', 'dataset-import', 'dataset-export') })],
  'dataset.import': [obj({ path: folder, 'skipDuplicates?': (v, p) => (typeof v === 'boolean' ? null : `${p} must be true or false`) })],
  'dataset.export': [obj({ outDir: folder })],
  'models.export': [obj({ runId: int(1), format: oneOf('hf', 'peft', 'ggml'), outDir: folder, 'scale?': num(0, 2) })],
  'settings.get': [],
  'settings.set': [obj({ 'backend?': oneOf('auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'), 'threads?': int(0, 64) })],
};

export function isChannel(c: unknown): c is Channel {
  return typeof c === 'string' && (API_CHANNELS as readonly string[]).includes(c);
}

/**
 * Checks one call. Returns null when valid, or a sentence naming the first bad argument.
 * Trailing `undefined` arguments are ignored (optional args from JS callers).
 */
export function validateCall(channel: Channel, args: unknown[]): string | null {
  const checks = ARGS[channel];
  let n = args.length;
  while (n > checks.length && args[n - 1] === undefined) n--;
  if (n !== checks.length) return `${channel} takes ${checks.length} argument${checks.length === 1 ? '' : 's'}, got ${n}`;
  for (let i = 0; i < checks.length; i++) {
    const e = checks[i](args[i], `${channel} argument ${i + 1}`);
    if (e) return e;
  }
  return null;
}
