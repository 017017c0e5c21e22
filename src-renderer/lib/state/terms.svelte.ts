/**
 * @file The project's vocabulary as reactive state: the terms, the recording script's coverage of
 * each (how many takes say it), the errors of the last load, and the edits (add, update, remove),
 * kept fresh from `data.changed`. The Vocabulary page is layout and events on top of it.
 */
import type { Script, Term, TermInput } from '../../../src-main/ipc/contract.ts';
import { call, on } from '../api.ts';
import { editThenReload } from './edit.ts';

export class TermsState {
  list = $state.raw<Term[]>([]);
  script = $state.raw<Script | null>(null);
  /** The last failed load or edit (shown next to the list). */
  error = $state.raw<unknown>(null);
  scriptError = $state.raw<unknown>(null);
  #off: () => void;

  constructor() {
    void this.load();
    // A new take changes a term's coverage as much as an edited term does.
    this.#off = on('data.changed', ({ what }) => {
      if (what === 'terms' || what === 'clips') void this.load();
    });
  }

  async load(): Promise<void> {
    try {
      this.list = await call('terms.list');
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    try {
      this.script = await call('script.get');
      this.scriptError = null;
    } catch (e) {
      this.scriptError = e;
    }
  }

  coverageOf(termId: number) {
    return this.script?.coverage.find((c) => c.termId === termId);
  }

  #edit(fn: () => Promise<unknown>): Promise<boolean> {
    return editThenReload(this, fn);
  }

  add(input: TermInput): Promise<boolean> {
    return this.#edit(() => call('terms.add', input));
  }

  update(id: number, patch: Partial<TermInput>): Promise<boolean> {
    return this.#edit(() => call('terms.update', id, patch));
  }

  remove(id: number): Promise<boolean> {
    return this.#edit(() => call('terms.remove', id));
  }

  dispose(): void {
    this.#off();
  }
}
