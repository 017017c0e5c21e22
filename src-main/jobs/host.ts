/**
 * @file Runs jobs (training, transcription, probing) in child Node processes and streams their
 * progress as `job.progress` / `job.finished` events. The child is `fork`ed with tsx loaded so job
 * modules are the same TypeScript sources the CLI runs; inside Electron, `fork` runs Electron's
 * binary as plain Node (ELECTRON_RUN_AS_NODE), so the same code serves both.
 *
 * Cancel is cooperative first (the job's AbortSignal fires; a well-behaved job stops at its next
 * step and can clean up) and forced after `cancelGraceMs` (SIGKILL), because a job stuck inside one
 * long synchronous tfjs call never sees the signal.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Events, IpcError, JobKind } from '../ipc/contract.ts';
import { etaOrNull } from '../util/time.ts';
import type { FromJob, ToJob } from './protocol.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export type JobEvent = { name: 'job.progress'; payload: Events['job.progress'] } | { name: 'job.finished'; payload: Events['job.finished'] };

export interface JobOutcome {
  status: 'done' | 'failed' | 'cancelled';
  result: unknown;
  error: IpcError | null;
}

interface Running {
  child: ChildProcess;
  kind: JobKind;
  startedAt: number;
  cancelling: boolean;
  finished: Promise<JobOutcome>;
  /** How long a cancelled job may take to stop by itself before SIGKILL. */
  cancelGraceMs?: number;
}

export class JobHost {
  private jobs = new Map<string, Running>();

  constructor(
    private readonly onEvent: (e: JobEvent) => void,
    private readonly opts: { cancelGraceMs?: number } = {},
  ) {}

  /**
   * Starts `module`'s `run(params)` in a new process. Returns the job id at once. `env` adds to
   * (or, with `undefined` values, removes from) the child's environment, e.g. the chosen backend.
   */
  start(kind: JobKind, module: string, params: unknown, opts: { env?: Record<string, string | undefined>; cancelGraceMs?: number } = {}): string {
    const jobId = randomUUID();
    const child = fork(WORKER, [], {
      execArgv: ['--import', 'tsx'],
      // 'advanced' = structured clone: typed arrays cross without JSON.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: Object.fromEntries(Object.entries({ ...process.env, ...opts.env, ELECTRON_RUN_AS_NODE: '1' }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    });
    // Below-normal priority: on a machine with few cores the job yields the CPU to the process
    // that serves the window, which is what keeps the UI responsive while training saturates cores.
    try {
      if (child.pid) os.setPriority(child.pid, os.constants.priority.PRIORITY_BELOW_NORMAL);
    } catch {
      /* not permitted on some systems; the job still runs, just at normal priority */
    }
    const startedAt = Date.now();
    let outcome: JobOutcome | null = null;
    const finished = new Promise<JobOutcome>((resolve) => {
      child.on('message', (m: FromJob) => {
        if (m.type === 'progress') {
          const p = m.progress;
          const elapsed = (Date.now() - startedAt) / 1000;
          const etaSec = p.etaSec !== undefined ? p.etaSec : etaOrNull(p.done, p.total, elapsed);
          this.onEvent({ name: 'job.progress', payload: { jobId, kind, done: p.done, total: p.total, etaSec, message: p.message ?? '', metrics: p.metrics ?? {} } });
        } else if (m.type === 'done') outcome = { status: 'done', result: m.result, error: null };
        else if (m.type === 'failed') outcome = { status: 'failed', result: null, error: m.error };
        else if (m.type === 'cancelled') outcome = { status: 'cancelled', result: null, error: null };
      });
      child.on('exit', (code, signal) => {
        const running = this.jobs.get(jobId);
        this.jobs.delete(jobId);
        const o: JobOutcome =
          outcome ??
          (running?.cancelling
            ? { status: 'cancelled', result: null, error: null }
            : { status: 'failed', result: null, error: { code: 'INTERNAL', message: `The job process exited unexpectedly (${signal ?? `code ${code}`}). Check the terminal for its output.` } });
        this.onEvent({ name: 'job.finished', payload: { jobId, kind, status: o.status, error: o.error } });
        resolve(o);
      });
    });
    this.jobs.set(jobId, { child, kind, startedAt, cancelling: false, finished, cancelGraceMs: opts.cancelGraceMs });
    child.send({ type: 'start', module, params } satisfies ToJob);
    return jobId;
  }

  /** Resolves when the job's process has exited. */
  wait(jobId: string): Promise<JobOutcome> {
    const j = this.jobs.get(jobId);
    if (!j) return Promise.reject(Object.assign(new Error(`No running job ${jobId}.`), { code: 'NOT_FOUND' }));
    return j.finished;
  }

  /** Asks the job to stop; kills its process if it has not exited after the grace period. */
  cancel(jobId: string): void {
    const j = this.jobs.get(jobId);
    if (!j) throw Object.assign(new Error(`No running job ${jobId}: it may have finished already.`), { code: 'NOT_FOUND' });
    j.cancelling = true;
    if (j.child.connected) j.child.send({ type: 'cancel' } satisfies ToJob);
    const t = setTimeout(() => j.child.kill('SIGKILL'), j.cancelGraceMs ?? this.opts.cancelGraceMs ?? 3000);
    t.unref();
    void j.finished.then(() => clearTimeout(t));
  }

  running(): { jobId: string; kind: JobKind }[] {
    return [...this.jobs].map(([jobId, j]) => ({ jobId, kind: j.kind }));
  }

  /** Kills every job (app quit, server close). */
  async close(): Promise<void> {
    const all = [...this.jobs.values()];
    for (const j of all) {
      j.cancelling = true;
      j.child.kill('SIGKILL');
    }
    await Promise.all(all.map((j) => j.finished));
  }
}
