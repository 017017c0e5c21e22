/**
 * @file The project's tuning runs as reactive state, shared by the Tune and Compare pages: the
 * list (newest first), kept fresh from `data.changed` events, and the error of the last load.
 * A page creates one and disposes it when it goes; it never subscribes to `runs.list` itself.
 */
import type { RunSummary } from '../../../src-main/ipc/contract.ts';
import { call, on } from '../api.ts';

export class RunsState {
  list = $state.raw<RunSummary[]>([]);
  error = $state.raw<unknown>(null);
  /** False until the first load has answered (so a page can tell "no runs" from "not loaded"). */
  loaded = $state(false);
  #off: () => void;

  constructor() {
    void this.load();
    this.#off = on('data.changed', ({ what }) => {
      if (what === 'runs') void this.load();
    });
  }

  /** Runs that finished, which are the ones Compare and Export can use. */
  get done(): RunSummary[] {
    return this.list.filter((r) => r.status === 'done');
  }

  async load(): Promise<void> {
    try {
      this.list = await call('runs.list');
      this.error = null;
    } catch (e) {
      this.error = e;
    } finally {
      this.loaded = true;
    }
  }

  dispose(): void {
    this.#off();
  }
}
