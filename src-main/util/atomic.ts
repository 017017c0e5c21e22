/**
 * Write-then-rename: a reader (another process, or this one after a crash) sees the old file or
 * the new one, never half of one. rename(2) within one folder is atomic on POSIX and on NTFS, so
 * the temporary file is always a sibling of its destination.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

let counter = 0;

/**
 * A fresh hidden sibling path for `path`'s temporary copy (file or folder): unique per process and
 * call, so two writers never share one, and dot-prefixed so folder listings skip it.
 */
export function tempSibling(path: string): string {
  const abs = resolve(path);
  return join(dirname(abs), `.${basename(abs)}.${process.pid}.${Date.now()}.${counter++}.tmp`);
}

/**
 * Writes `data` to `path` atomically, creating its folder. With `fsync` the bytes reach the disk
 * before the rename, so a power cut cannot leave an empty file under the final name (checkpoints,
 * run records); plain writes skip it (reports, settings: a lost one is rewritten next time).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: { fsync?: boolean } = {}): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = tempSibling(path);
  try {
    writeFileSync(tmp, data);
    if (opts.fsync) {
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** `value` as indented JSON, written atomically and synced (run records, checkpoint state). */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2), { fsync: true });
}
