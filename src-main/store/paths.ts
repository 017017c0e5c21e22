/**
 * Where the data directory is, and the layout inside it.
 *
 * Resolution order: `--data-dir` flag, env VOCAB_TUNER_DATA_DIR, Electron's userData (passed in
 * by the app), else the platform's per-user data folder:
 *   Linux   $XDG_DATA_HOME/vocab-tuner or ~/.local/share/vocab-tuner
 *   macOS   ~/Library/Application Support/vocab-tuner
 *   Windows %APPDATA%\vocab-tuner
 *
 * Layout:
 *   <dataDir>/vocab-tuner.db (+ -wal, -shm)   the SQLite database
 *   <dataDir>/audio/<ab>/<sha256>.wav         clips, 16 kHz mono PCM16, named by their checksum
 *   <dataDir>/.tmp/                            partial writes; never listed, cleaned by doctor --fix
 *   <dataDir>/quarantine/<time>/               orphans moved aside by doctor --fix (never deleted)
 */
import os from 'node:os';
import path from 'node:path';

export type DataDirSource = { flag?: string; env?: NodeJS.ProcessEnv; electronUserData?: string; platform?: NodeJS.Platform; home?: string };

export function resolveDataDir(src: DataDirSource = {}): string {
  const env = src.env ?? process.env;
  if (src.flag) return path.resolve(src.flag);
  if (env.VOCAB_TUNER_DATA_DIR) return path.resolve(env.VOCAB_TUNER_DATA_DIR);
  if (src.electronUserData) return path.resolve(src.electronUserData);
  const platform = src.platform ?? process.platform;
  const home = src.home ?? os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'vocab-tuner');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'vocab-tuner');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'vocab-tuner');
}

export type DataLayout = { root: string; db: string; audio: string; tmp: string; quarantine: string };

export function dataLayout(root: string): DataLayout {
  return {
    root,
    db: path.join(root, 'vocab-tuner.db'),
    audio: path.join(root, 'audio'),
    tmp: path.join(root, '.tmp'),
    quarantine: path.join(root, 'quarantine'),
  };
}

/** Relative path (always with forward slashes, as stored in rows) of the clip with this checksum. */
export function audioRelPath(sha256: string): string {
  return `audio/${sha256.slice(0, 2)}/${sha256}.wav`;
}
