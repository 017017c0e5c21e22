/**
 * @file Every job the app runs, by name: which module runs it, what it takes and what it returns —
 * the job boundary typed the way `ipc/contract.ts` types the API. `JobHost.start(name, params)`
 * checks the params against this table and returns an id that carries the result type, so
 * `wait(id)` resolves to a typed outcome and no caller casts `result`.
 *
 * Params and results are read off each module's `run` export (type-only imports: nothing here
 * loads a job module). The job's kind is what the host queues it as and what events report.
 */
import { fileURLToPath } from 'node:url';
import type { JobKind } from '../ipc/contract.ts';
import type * as backends from './backends-job.ts';
import type * as compare from './compare-job.ts';
import type * as dataset from './dataset-job.ts';
import type * as decode from './decode-job.ts';
import type * as models from './models-job.ts';
import type * as recipe from './recipe-job.ts';
import type * as transcribe from './transcribe-job.ts';
import type * as tryIt from './try-job.ts';
import type * as tune from './tune-job.ts';

type RunOf<M extends { run: (p: never, ctx: never) => Promise<unknown> }> = M['run'];
type ModelsAction<A extends models.ModelsJobParams['action']> = (p: Extract<models.ModelsJobParams, { action: A }>, ctx: unknown) => Promise<models.ModelsJobResults[A]>;

/** Job name → the module's `run` (its params and result types). */
interface Modules {
  tune: RunOf<typeof tune>;
  compare: RunOf<typeof compare>;
  prelabel: RunOf<typeof transcribe>;
  try: RunOf<typeof tryIt>;
  /** The model manager's one module, one entry per action so each has its own result type. */
  'model-download': ModelsAction<'download'>;
  'model-import': ModelsAction<'import'>;
  'model-export': ModelsAction<'export'>;
  recipe: RunOf<typeof recipe>;
  backends: RunOf<typeof backends>;
  decode: RunOf<typeof decode>;
  'dataset-import': (p: Extract<dataset.DatasetJobParams, { action: 'import' }>, ctx: unknown) => Promise<dataset.DatasetImportResult>;
  'dataset-export': (p: Extract<dataset.DatasetJobParams, { action: 'export' }>, ctx: unknown) => Promise<dataset.DatasetExportResult>;
}

export type JobName = keyof Modules;
export type JobParams<N extends JobName> = Parameters<Modules[N]>[0];
export type JobResult<N extends JobName> = Awaited<ReturnType<Modules[N]>>;

// Named from the jobs folder (not './x.ts'): compiled, this file may sit in a shared chunk, and
// util/module-path.ts maps each .ts to its compiled .js.
const file = (name: string) => fileURLToPath(new URL(`../jobs/${name}.ts`, import.meta.url));

/** Where each job's module is and what kind of job it is. */
export const JOBS: { readonly [N in JobName]: { readonly module: string; readonly kind: JobKind } } = {
  tune: { module: file('tune-job'), kind: 'tune' },
  compare: { module: file('compare-job'), kind: 'compare' },
  prelabel: { module: file('transcribe-job'), kind: 'transcribe' },
  try: { module: file('try-job'), kind: 'transcribe' },
  'model-download': { module: file('models-job'), kind: 'download' },
  'model-import': { module: file('models-job'), kind: 'import' },
  'model-export': { module: file('models-job'), kind: 'export' },
  recipe: { module: file('recipe-job'), kind: 'export' },
  backends: { module: file('backends-job'), kind: 'probe' },
  decode: { module: file('decode-job'), kind: 'decode' },
  'dataset-import': { module: file('dataset-job'), kind: 'import' },
  'dataset-export': { module: file('dataset-job'), kind: 'export' },
};


declare const resultOf: unique symbol;
/** A job id that remembers what its job returns (a plain string at run time). */
export type JobId<R = unknown> = string & { readonly [resultOf]?: R };
