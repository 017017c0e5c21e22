/**
 * Clip files on disk: written atomically before the row that points at them commits, and checked
 * against their sha256 whenever they are read.
 *
 * Write order (each step makes the next crash-safe):
 *   1. write bytes to <dataDir>/.tmp/<random>.partial and fsync the file
 *   2. rename into audio/<ab>/<sha256>.wav (atomic within one filesystem) and fsync the folder,
 *      so the rename itself is durable
 *   3. only then does the caller insert the row (in a transaction)
 * A kill between 1 and 2 leaves a .partial in .tmp (invisible to listing); between 2 and 3 an
 * orphan file that `data doctor` reports. A row never points at a missing or partial file.
 * Files are named by content, so rewriting an existing clip is a no-op and never truncates it.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from './errors.ts';
import { audioRelPath, dataLayout } from './paths.ts';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function fsyncDir(dir: string): void {
  // Directories cannot be opened for fsync on Windows; there NTFS journals the rename anyway.
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Write `bytes` under the data dir by content; returns the relative path and checksum. */
export function writeAudioAtomic(dataDir: string, bytes: Uint8Array): { file: string; sha256: string } {
  const sha256 = sha256Hex(bytes);
  const file = audioRelPath(sha256);
  const dest = path.join(dataDir, file);
  if (fs.existsSync(dest) && sha256Hex(fs.readFileSync(dest)) === sha256) return { file, sha256 };
  const { tmp } = dataLayout(dataDir);
  fs.mkdirSync(tmp, { recursive: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const partial = path.join(tmp, `${randomBytes(8).toString('hex')}.partial`);
  const fd = fs.openSync(partial, 'wx');
  try {
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, dest);
  fsyncDir(path.dirname(dest));
  return { file, sha256 };
}

/** Read a clip and verify its checksum. Throws AUDIO_MISSING / AUDIO_CHECKSUM_MISMATCH. */
export function readAudioVerified(dataDir: string, file: string, sha256: string): Uint8Array {
  const abs = path.join(dataDir, file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(abs);
  } catch {
    throw new StoreError('AUDIO_MISSING', `The audio file ${abs} is missing. Restore it from a backup, or run "vocab-tuner data doctor" to list every affected clip.`);
  }
  const got = sha256Hex(bytes);
  if (got !== sha256) {
    throw new StoreError(
      'AUDIO_CHECKSUM_MISMATCH',
      `The audio file ${abs} is damaged: its sha256 is ${got.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…. Restore it from a backup; "vocab-tuner data doctor" lists every affected clip.`,
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Every clip file currently in the audio folder, as relative paths (partials are never here). */
export function listAudioFiles(dataDir: string): string[] {
  const { audio } = dataLayout(dataDir);
  if (!fs.existsSync(audio)) return [];
  const out: string[] = [];
  for (const sub of fs.readdirSync(audio)) {
    const d = path.join(audio, sub);
    if (!fs.statSync(d).isDirectory()) {
      out.push(`audio/${sub}`);
      continue;
    }
    for (const f of fs.readdirSync(d)) out.push(`audio/${sub}/${f}`);
  }
  return out.sort();
}
