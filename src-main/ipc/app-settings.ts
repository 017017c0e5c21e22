/**
 * @file The app's own settings (Settings page), kept as `settings.json` in the data directory so
 * they travel with the data and apply to Electron and `serve` alike. Written atomically; an
 * unreadable or unknown value falls back to the default rather than stopping the app.
 *
 * The backend choice reaches jobs as `VOCAB_TUNER_BACKEND` in the job process's environment
 * (`compute/backend.ts` backendFromEnv), the same switch the CLI honours; the thread count as
 * `VOCAB_TUNER_THREADS` (`compute/wasm-threads.ts`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import type { BackendSetting, Settings } from './contract.ts';

const BACKENDS: readonly BackendSetting[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
export const DEFAULT_SETTINGS: Settings = { backend: 'auto', threads: 0 };

const file = (dataDir: string) => path.join(dataDir, 'settings.json');

export function readSettings(dataDir: string): Settings {
  if (!existsSync(file(dataDir))) return { ...DEFAULT_SETTINGS };
  try {
    const raw = JSON.parse(readFileSync(file(dataDir), 'utf8')) as Partial<Settings>;
    const threads = Number.isInteger(raw.threads) && (raw.threads as number) >= 0 && (raw.threads as number) <= 64 ? (raw.threads as number) : DEFAULT_SETTINGS.threads;
    return { backend: BACKENDS.includes(raw.backend as BackendSetting) ? (raw.backend as BackendSetting) : DEFAULT_SETTINGS.backend, threads };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function writeSettings(dataDir: string, patch: Partial<Settings>): Settings {
  const next = { ...readSettings(dataDir), ...patch };
  writeFileAtomic(file(dataDir), JSON.stringify(next, null, 2) + '\n');
  return next;
}

/** Environment for a job process: the chosen backend and thread count, or the inherited ones for 'auto' / 0. */
export function jobEnv(s: Settings): Record<string, string | undefined> {
  return {
    ...(s.backend === 'auto' ? {} : { VOCAB_TUNER_BACKEND: s.backend }),
    ...(s.threads > 0 ? { VOCAB_TUNER_THREADS: String(s.threads) } : {}),
  };
}
