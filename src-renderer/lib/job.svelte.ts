/**
 * @file One long job (tuning, comparison, download) as reactive state: progress, metric history
 * for the live charts, the outcome, and cancel. Pages hold a `JobWatch` instead of wiring events
 * themselves. Events that arrive before `start` has returned the job's id (a job that fails at
 * once) are buffered and replayed, so no outcome is lost.
 */
import type { Events } from '../../src-main/ipc/contract.ts';
import { call, on } from './api.ts';

type Progress = Events['job.progress'];
type Finished = Events['job.finished'];

export class JobWatch {
  jobId = $state<string | null>(null);
  progress = $state.raw<Progress | null>(null);
  outcome = $state.raw<Finished | null>(null);
  /** metric name → [step, value][], appended as progress arrives. */
  metrics = $state.raw<Record<string, [number, number][]>>({});
  error = $state.raw<unknown>(null);

  #early = new Map<string, (Progress | Finished)[]>();
  #off: (() => void)[];

  constructor() {
    this.#off = [on('job.progress', (p) => this.#event(p)), on('job.finished', (f) => this.#event(f))];
  }

  get running(): boolean {
    return this.jobId !== null && this.outcome === null;
  }

  /** Percent done, 0–100. */
  get percent(): number {
    const p = this.progress;
    return p && p.total > 0 ? Math.round((100 * Math.min(p.done, p.total)) / p.total) : 0;
  }

  /** Starts a job through `launch` (an API call returning its id). */
  async start(launch: () => Promise<{ jobId: string }>): Promise<void> {
    this.progress = null;
    this.outcome = null;
    this.metrics = {};
    this.error = null;
    try {
      const { jobId } = await launch();
      this.jobId = jobId;
      for (const e of this.#early.get(jobId) ?? []) this.#apply(e);
      this.#early.clear();
    } catch (e) {
      this.error = e;
    }
  }

  async cancel(): Promise<void> {
    if (!this.running) return;
    try {
      await call('jobs.cancel', this.jobId!);
    } catch (e) {
      this.error = e;
    }
  }

  dispose(): void {
    this.#off.forEach((f) => f());
  }

  #event(e: Progress | Finished): void {
    if (e.jobId === this.jobId) this.#apply(e);
    else if (this.jobId === null || this.outcome !== null) {
      const list = this.#early.get(e.jobId) ?? [];
      if (list.length < 1000) list.push(e);
      this.#early.set(e.jobId, list);
    }
  }

  #apply(e: Progress | Finished): void {
    if ('status' in e) {
      this.outcome = e;
      return;
    }
    this.progress = e;
    const next = { ...this.metrics };
    for (const [k, v] of Object.entries(e.metrics)) next[k] = [...(next[k] ?? []), [e.done, v]];
    this.metrics = next;
  }
}
