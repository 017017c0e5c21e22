/**
 * Options shared by the `data` and `terms` commands: which data directory and which project.
 */
import { resolveDataDir } from '../store/paths.ts';
import { getOrCreateProject, type Project } from '../store/projects.ts';
import { openStore, type Store } from '../store/store.ts';

export const STORE_OPTIONS = {
  'data-dir': { type: 'string' },
  project: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const STORE_USAGE = `  --data-dir DIR   data directory (default: $VOCAB_TUNER_DATA_DIR, else ~/.local/share/vocab-tuner
                   or the platform's equivalent)
  --project NAME   project to use (default: "default", created on first use)
  --json           print one JSON object on stdout`;

export function openFromArgs(values: { 'data-dir'?: string; project?: string }): { store: Store; project: Project } {
  const store = openStore(resolveDataDir({ flag: values['data-dir'] }));
  return { store, project: getOrCreateProject(store.db, values.project) };
}
