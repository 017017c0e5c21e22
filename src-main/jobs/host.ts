/**
 * @file Runs jobs (training, transcription, probing) in child Node processes and streams their
 * progress as `job.progress` / `job.finished` events. The child is `fork`ed with tsx loaded so job
 * modules are the same TypeScript sources the CLI runs; inside Electron, `fork` runs Electron's
 * binary as plain Node (ELECTRON_RUN_AS_NODE), so the same code serves both.
 *
 * Cancel is cooperative first (the job's AbortSignal fires; a well-behaved job stops at its next
 * step and can clean up) and forced after `cancelGraceMs` (SIGKILL), because a job stuck inside one
 * long synchronous tfjs call never sees the signal.
 *
 * Jobs queue. Heavy kinds (training, comparison, transcription, model import and export: each
 * loads a model, hundreds of MB to GB) run one at a time by default; light kinds (backend probe,
 * download, decoding a dropped file) two at a time. Waiting jobs are reported as progress
 * ("waiting for …") and can be cancelled; past `maxQueued` waiting jobs, `start` throws BUSY — so
 * twenty simultaneous model imports start one process, queue eight and refuse the rest.
 *
 * A job may be given a memory cap: V8's heap limit, and on Linux its resident size polled from
 * /proc (typed arrays live outside V8's heap); over the cap it is killed and fails with
 * JOB_MEMORY_LIMIT.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';
import type { Events, IpcError, JobKind } from '../ipc/contract.ts';
import { etaOrNull } from '../util/time.ts';
import { needsTsx, runnableModule } from '../util/module-path.ts';
import type { FromJob, ToJob } from './protocol.ts';
import { JOBS, type JobId, type JobName, type JobParams, type JobResult } from './contract.ts';

// '../jobs/' rather than './': the same folder from the sources, and from the compiled tree's
// shared chunks (dist-main/chunks/), where this code may land (see scripts/build-main.mjs).
const WORKER = runnableModule(fileURLToPath(new URL('../jobs/worker.ts', import.meta.url)));

export type JobEvent = { name: 'job.progress'; payload: Events['job.progress'] } | { name: 'job.finished'; payload: Events['job.finished'] };

/** How a job ended; `result` is what its `run` returned (typed by the job's id, see contract.ts). */
export type JobOutcome<R = unknown> =
  | { status: 'done'; result: R; error: null }
  | { status: 'failed'; result: null; error: IpcError }
  | { status: 'cancelled'; result: null; error: null };

/** Kinds that load a model or a dataset: one at a time unless configured otherwise. */
const HEAVY: ReadonlySet<JobKind> = new Set<JobKind>(['tune', 'compare', 'transcribe', 'import', 'export']);
const classOf = (k: JobKind): 'heavy' | 'light' => (HEAVY.has(k) ? 'heavy' : 'light');

/**
 * A job process as the host sees it: Node's ChildProcess (`fork`, the default), or — in the
 * packaged desktop app, whose RunAsNode fuse is off so Electron's binary cannot be forked as Node —
 * Electron's UtilityProcess behind an adapter (electron/utility-jobs.ts).
 */
export interface JobProcess {
  readonly pid?: number;
  readonly connected: boolean;
  send(m: ToJob): unknown;
  on(event: 'message', fn: (m: FromJob) => void): unknown;
  on(event: 'exit', fn: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  kill(signal?: NodeJS.Signals): unknown;
}

export type SpawnJob = (worker: string, o: { execArgv: string[]; env: NodeJS.ProcessEnv }) => JobProcess;

/** The default: a Node child with an IPC channel ('advanced' = structured clone: typed arrays cross without JSON). */
export const forkJob: SpawnJob = (worker, o) =>
  fork(worker, [], { execArgv: o.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: o.env }) as unknown as JobProcess;

export interface JobHostOptions {
  cancelGraceMs?: number;
  /** How job processes are started (default: Node's fork). */
  spawn?: SpawnJob;
  /** Heavy jobs running at once (default 1, or VOCAB_TUNER_MAX_HEAVY_JOBS). */
  maxHeavy?: number;
  /** Light jobs running at once (default 2). */
  maxLight?: number;
  /** Jobs waiting at once, all kinds together (default 8); beyond it start() throws BUSY. */
  maxQueued?: number;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  cancelGraceMs?: number;
  /** Kill the job past this resident size (MB), and give V8 this heap limit. */
  memoryMb?: number;
  /** An internal job (decoding a dropped file): no job.progress / job.finished events. */
  quiet?: boolean;
}

interface Job {
  kind: JobKind;
  module: string;
  params: unknown;
  opts: StartOptions;
  child: JobProcess | null;
  startedAt: number;
  cancelling: boolean;
  finished: Promise<JobOutcome>;
  resolve: (o: JobOutcome) => void;
}

export const JOB_DEFAULTS = { maxHeavy: 1, maxLight: 2, maxQueued: 8 } as const;

export class JobHost {
  private jobs = new Map<string, Job>();
  private queue: string[] = [];
  private readonly limits: { heavy: number; light: number; queued: number };

  constructor(
    private readonly onEvent: (e: JobEvent) => void,
    private readonly opts: JobHostOptions = {},
  ) {
    const envHeavy = Number(process.env.VOCAB_TUNER_MAX_HEAVY_JOBS);
    this.limits = {
      heavy: opts.maxHeavy ?? (Number.isInteger(envHeavy) && envHeavy > 0 ? envHeavy : JOB_DEFAULTS.maxHeavy),
      light: opts.maxLight ?? JOB_DEFAULTS.maxLight,
      queued: opts.maxQueued ?? JOB_DEFAULTS.maxQueued,
    };
  }

  /**
   * Starts `module`'s `run(params)` in a new process, or queues it when its kind's slots are
   * taken. Returns the job id at once; throws BUSY when the queue is full. `env` adds to (or, with
   * `undefined` values, removes from) the child's environment, e.g. the chosen backend.
   */
  start<N extends JobName>(name: N, params: JobParams<N>, opts: StartOptions = {}): JobId<JobResult<N>> {
    return this.startModule(JOBS[name].kind, JOBS[name].module, params, opts);
  }

  /** `start` for a module outside the job table (the host's own tests run fixture jobs this way). */
  startModule(kind: JobKind, module: string, params: unknown, opts: StartOptions = {}): string {
    const cls = classOf(kind);
    const mustWait = this.runningIn(cls) >= this.limits[cls] || this.queue.some((id) => classOf(this.jobs.get(id)!.kind) === cls);
    if (mustWait && this.queue.length >= this.limits.queued) {
      throw new UserError('BUSY', `${this.queue.length} jobs are already waiting (${this.describeBusy(cls)}); wait for them to finish or cancel one, then try again.`);
    }
    const jobId = randomUUID();
    let resolve!: (o: JobOutcome) => void;
    const finished = new Promise<JobOutcome>((r) => (resolve = r));
    this.jobs.set(jobId, { kind, module, params, opts, child: null, startedAt: Date.now(), cancelling: false, finished, resolve });
    if (mustWait) {
      this.queue.push(jobId);
      this.emit(jobId, { name: 'job.progress', payload: { jobId, kind, done: 0, total: 0, etaSec: null, message: `waiting: ${this.describeBusy(cls)}`, metrics: {} } });
    } else this.launch(jobId);
    return jobId;
  }

  private runningIn(cls: 'heavy' | 'light'): number {
    let n = 0;
    for (const j of this.jobs.values()) if (j.child && classOf(j.kind) === cls) n++;
    return n;
  }

  private describeBusy(cls: 'heavy' | 'light'): string {
    const kinds = [...this.jobs.values()].filter((j) => j.child && classOf(j.kind) === cls).map((j) => j.kind);
    return kinds.length ? `a ${kinds.join(' and a ')} job is running` : 'other jobs are queued first';
  }

  private emit(jobId: string, e: JobEvent): void {
    if (!this.jobs.get(jobId)?.opts.quiet) this.onEvent(e);
  }

  /** Starts queued jobs whose class has a free slot, oldest first. */
  private pump(): void {
    for (const id of [...this.queue]) {
      const j = this.jobs.get(id);
      if (!j) continue;
      const cls = classOf(j.kind);
      if (this.runningIn(cls) >= this.limits[cls]) continue;
      this.queue.splice(this.queue.indexOf(id), 1);
      j.startedAt = Date.now();
      this.launch(id);
    }
  }

  private finish(jobId: string, o: JobOutcome): void {
    const j = this.jobs.get(jobId);
    if (!j) return;
    this.emit(jobId, { name: 'job.finished', payload: { jobId, kind: j.kind, status: o.status, error: o.error } });
    this.jobs.delete(jobId);
    j.resolve(o);
    this.pump();
  }

  private launch(jobId: string): void {
    const j = this.jobs.get(jobId)!;
    const { kind, opts } = j;
    const child = (this.opts.spawn ?? forkJob)(WORKER, {
      execArgv: [...(needsTsx(WORKER) ? ['--import', 'tsx'] : []), ...(opts.memoryMb ? [`--max-old-space-size=${opts.memoryMb}`] : [])],
      env: Object.fromEntries(Object.entries({ ...process.env, ...opts.env, ELECTRON_RUN_AS_NODE: '1' }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    });
    j.child = child;
    // Below-normal priority: on a machine with few cores the job yields the CPU to the process
    // that serves the window, which is what keeps the UI responsive while training saturates cores.
    try {
      if (child.pid) os.setPriority(child.pid, os.constants.priority.PRIORITY_BELOW_NORMAL);
    } catch {
      /* not permitted on some systems; the job still runs, just at normal priority */
    }
    let outcome: JobOutcome | null = null;
    const watch = opts.memoryMb && child.pid ? watchMemory(child, opts.memoryMb, () => {
      outcome = { status: 'failed', result: null, error: { code: 'JOB_MEMORY_LIMIT', message: `The ${kind} job went over its ${opts.memoryMb} MB memory limit and was stopped; the input is too large or malformed.` } };
    }) : null;
    child.on('message', (m: FromJob) => {
      if (m.type === 'progress') {
        const p = m.progress;
        const elapsed = (Date.now() - j.startedAt) / 1000;
        const etaSec = p.etaSec !== undefined ? p.etaSec : etaOrNull(p.done, p.total, elapsed);
        this.emit(jobId, { name: 'job.progress', payload: { jobId, kind, done: p.done, total: p.total, etaSec, message: p.message ?? '', metrics: p.metrics ?? {} } });
      } else if (outcome) return; // the memory watchdog already decided
      else if (m.type === 'done') outcome = { status: 'done', result: m.result, error: null };
      else if (m.type === 'failed') outcome = { status: 'failed', result: null, error: m.error };
      else if (m.type === 'cancelled') outcome = { status: 'cancelled', result: null, error: null };
    });
    child.on('exit', (code, signal) => {
      if (watch) clearInterval(watch);
      // V8 aborts (SIGABRT / SIGTRAP, exit 134 / 133) when the heap limit a capped job was given is reached.
      if (!outcome && opts.memoryMb && (signal === 'SIGABRT' || signal === 'SIGTRAP' || code === 134 || code === 133)) {
        outcome = { status: 'failed', result: null, error: { code: 'JOB_MEMORY_LIMIT', message: `The ${kind} job ran out of its ${opts.memoryMb} MB memory limit and was stopped; the input is too large or malformed.` } };
      }
      const o: JobOutcome =
        outcome ??
        (j.cancelling
          ? { status: 'cancelled', result: null, error: null }
          : { status: 'failed', result: null, error: { code: 'INTERNAL', message: `The job process exited unexpectedly (${signal ?? `code ${code}`}). Check the terminal for its output.` } });
      this.finish(jobId, o);
    });
    child.send({ type: 'start', module: j.module, params: j.params } satisfies ToJob);
  }

  /** Resolves when the job has finished (its process exited, or it was cancelled while queued). */
  wait<R>(jobId: JobId<R>): Promise<JobOutcome<R>> {
    const j = this.jobs.get(jobId);
    if (!j) return Promise.reject(Object.assign(new Error(`No running job ${jobId}.`), { code: 'NOT_FOUND' }));
    return j.finished as Promise<JobOutcome<R>>;
  }

  /** Asks the job to stop (a queued one is dropped at once); kills its process if it has not exited after the grace period. */
  cancel(jobId: string): void {
    const j = this.jobs.get(jobId);
    if (!j) throw Object.assign(new Error(`No running job ${jobId}: it may have finished already.`), { code: 'NOT_FOUND' });
    j.cancelling = true;
    if (!j.child) {
      this.queue.splice(this.queue.indexOf(jobId), 1);
      this.finish(jobId, { status: 'cancelled', result: null, error: null });
      return;
    }
    const child = j.child;
    if (child.connected) child.send({ type: 'cancel' } satisfies ToJob);
    const t = setTimeout(() => child.kill('SIGKILL'), j.opts.cancelGraceMs ?? this.opts.cancelGraceMs ?? 3000);
    t.unref();
    void j.finished.then(() => clearTimeout(t));
  }

  /** Running and queued jobs. */
  running(): { jobId: string; kind: JobKind; queued: boolean }[] {
    return [...this.jobs].map(([jobId, j]) => ({ jobId, kind: j.kind, queued: j.child === null }));
  }

  /** Kills every job and drops the queue (app quit, server close). */
  async close(): Promise<void> {
    for (const id of [...this.queue]) this.cancel(id);
    const all = [...this.jobs.values()];
    for (const j of all) {
      j.cancelling = true;
      j.child?.kill('SIGKILL');
    }
    await Promise.all(all.map((j) => j.finished));
  }
}

/**
 * Polls a child's resident set size (Linux /proc; elsewhere only V8's heap limit applies) and
 * kills it past `capMb`. 50 ms: a decode bomb allocating at memory speed gets at most a few
 * hundred MB past the cap before it is stopped.
 */
function watchMemory(child: JobProcess, capMb: number, onKill: () => void): NodeJS.Timeout | null {
  if (process.platform !== 'linux') return null;
  const file = `/proc/${child.pid}/status`;
  const t = setInterval(() => {
    let kb = 0;
    try {
      kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(file, 'latin1'))?.[1] ?? 0);
    } catch {
      return; // exited between polls
    }
    if (kb / 1024 > capMb) {
      clearInterval(t);
      onKill();
      child.kill('SIGKILL');
    }
  }, 50);
  t.unref();
  return t;
}
