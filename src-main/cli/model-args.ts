/**
 * Options shared by the commands that run a model (transcribe, probe, compare, tune): which
 * backend, which checkpoint, which adapter at which scale.
 */
import type { ParseArgsConfig } from 'node:util';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { initBackend, parseBackendName, backendFromEnv } from '../compute/backend.ts';
import { loadWhisper, type LoadedWhisper } from '../whisper/load.ts';
import { UserError } from '../util/errors.ts';
import { resolveModelDir } from '../models/model-ref.ts';

export const MODEL_OPTIONS = {
  model: { type: 'string' },
  adapter: { type: 'string' },
  'adapter-scale': { type: 'string' },
  backend: { type: 'string' },
  language: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface ModelArgs {
  model?: string;
  adapter?: string;
  'adapter-scale'?: string;
  backend?: string;
}

export function parseScale(v: string | undefined): number {
  if (v === undefined) return 1;
  const s = Number(v);
  if (!Number.isFinite(s) || s < 0 || s > 2) throw new UserError('INVALID_ARGUMENT', `--adapter-scale must be a number from 0 to 2, got "${v}"`);
  return s;
}

/** Chooses the backend and loads the model (+ adapter). Errors say which flag to fix. */
export async function openModel(a: ModelArgs): Promise<LoadedWhisper & { backend: string }> {
  if (!a.model) throw new UserError('MISSING_ARGUMENT', '--model DIR is required (a Hugging Face Whisper folder, e.g. one from `vocab-tuner models download`)');
  const choice = await initBackend(a.backend ? parseBackendName(a.backend) : backendFromEnv());
  // A folder, or a Hub repo id / short name already in the Hugging Face cache.
  const looksLikePath = existsSync(a.model) || isAbsolute(a.model) || a.model.startsWith('.') || a.model.startsWith('~');
  const dir = looksLikePath ? a.model : resolveModelDir(a.model); // a missing folder: loadWhisper says CHECKPOINT_NOT_FOUND
  const loaded = await loadWhisper(dir);
  if (a.adapter) {
    if (!existsSync(a.adapter)) throw new UserError('ADAPTER_NOT_FOUND', `adapter folder ${a.adapter} does not exist`);
    const { applyAdapterDir } = await import('../tuning/apply-adapter.ts');
    // The tuned model is a view over the loaded weights; disposing it frees them (and the process
    // ends with the command, which frees the adapter's own few tensors).
    const tuned = await applyAdapterDir(loaded, a.adapter, parseScale(a['adapter-scale']));
    return { ...loaded, model: tuned.model, backend: choice.chosen };
  } else if (a['adapter-scale'] !== undefined) {
    parseScale(a['adapter-scale']);
  }
  return { ...loaded, backend: choice.chosen };
}
