/**
 * @file The project's clips as reactive state: the list under the current filter (search text,
 * split), the terms their prompts name, edits (transcript, split, remove), dropped-file imports
 * with a count in flight, and the last error — kept fresh from `data.changed`. The Dataset page is
 * layout and events on top of it.
 */
import type { Clip, Split, Term } from '../../../src-main/ipc/contract.ts';
import { LIMITS } from '../../../src-main/ipc/limits.ts';
import { ApiError, call, on } from '../api.ts';
import { editThenReload } from './edit.ts';

export class ClipsState {
  list = $state.raw<Clip[]>([]);
  terms = $state.raw<Term[]>([]);
  /** The filter the list is loaded with; set either and call `load()` (the page's effect does). */
  search = $state('');
  split = $state<Split | ''>('');
  error = $state.raw<unknown>(null);
  /** Dropped files still being imported. */
  importing = $state(0);
  #off: () => void;

  constructor() {
    this.#off = on('data.changed', ({ what }) => {
      if (what === 'clips' || what === 'terms') void this.load();
    });
  }

  get unlabelled(): number {
    return this.list.filter((c) => c.transcript.trim() === '').length;
  }

  termText(id: number): string {
    return this.terms.find((t) => t.id === id)?.text ?? `#${id}`;
  }

  async load(): Promise<void> {
    try {
      const search = this.search.trim();
      const filter = { ...(search ? { search } : {}), ...(this.split ? { split: this.split } : {}) };
      this.list = await call('clips.list', filter);
      this.terms = await call('terms.list');
      this.error = null;
    } catch (e) {
      this.error = e;
    }
  }

  async saveTranscript(c: Clip, text: string): Promise<void> {
    if (text === c.transcript) return;
    await this.#edit(() => call('clips.update', c.id, { transcript: text }));
  }

  /** A refused split change reloads too, so the select shows the split the clip really has. */
  async setSplit(c: Clip, split: Split): Promise<void> {
    if (!(await this.#edit(() => call('clips.update', c.id, { split })))) await this.load();
  }

  remove(c: Clip): Promise<boolean> {
    return this.#edit(() => call('clips.remove', c.id));
  }

  /** Imports dropped audio files one by one; a file over the size limit is refused before upload. */
  async importFiles(files: File[]): Promise<void> {
    // The last refusal stays on screen: the reload below would otherwise clear it at once.
    let failure: unknown = null;
    for (const f of files) {
      if (f.size > LIMITS.importBytes) {
        // Refused before reading it: the back end would refuse it anyway, after the upload.
        const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
        failure = new ApiError('FILE_TOO_LARGE', `${f.name} is ${mb(f.size)}; audio files can be at most ${mb(LIMITS.importBytes)} (clips are at most 30 s). Cut it into shorter clips.`);
        continue;
      }
      this.importing++;
      try {
        await call('clips.import', { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
      } catch (err) {
        failure = err;
      } finally {
        this.importing--;
      }
    }
    await this.load();
    if (failure) this.error = failure;
  }

  #edit(fn: () => Promise<unknown>): Promise<boolean> {
    return editThenReload(this, fn);
  }

  dispose(): void {
    this.#off();
  }
}
