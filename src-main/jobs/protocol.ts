/**
 * @file Messages between the job host (the serving process) and a job process. Training,
 * transcription and probing run in their own process so the process that serves the window or
 * the WebSocket never stalls on tfjs work.
 */
import type { IpcError } from '../ipc/contract.ts';

/** What a job reports while it runs. `metrics`: e.g. { loss, termLogprob } for the live charts. */
export interface JobProgress {
  done: number;
  total: number;
  message?: string;
  metrics?: Record<string, number>;
  /** The job's own estimate (e.g. the trainer's, which excludes loading time); else the host's. */
  etaSec?: number | null;
}

/** Given to every job function. Jobs check `signal` between steps and report through `progress`. */
export interface JobContext {
  signal: AbortSignal;
  progress(p: JobProgress): void;
}

/**
 * A job module exports `run`. It runs in a child process: params and result must be plain data
 * (structured clone: typed arrays are fine, functions and class instances are not).
 */
export type JobFn<P = unknown, R = unknown> = (params: P, ctx: JobContext) => Promise<R>;

export type ToJob = { type: 'start'; module: string; params: unknown } | { type: 'cancel' };
export type FromJob =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; error: IpcError }
  | { type: 'cancelled' };
