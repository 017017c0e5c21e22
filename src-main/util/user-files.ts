/**
 * @file Opening a file whose path a user (or a folder a user handed us) chose. A FIFO in an
 * import folder would block `readFile` forever, `/dev/zero` behind a symlink would be read until
 * memory runs out, and a socket or a device is never a recording or a model. So a path is opened
 * non-blocking (opening a FIFO then returns at once instead of waiting for a writer), checked with
 * `fstat` on the opened descriptor (no window between the check and the read), and read only when
 * it is a regular file no larger than the caller's limit.
 *
 *   const bytes = readRegularFile('/data/a.wav', { maxBytes: 100e6, what: 'audio file' });
 */
import fs from 'node:fs';
import { UserError } from './errors.ts';

/** What a non-regular directory entry is, for the error message. */
export function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export interface ReadOptions {
  /** Refuse files larger than this (checked from fstat before reading). */
  maxBytes?: number;
  /** "audio file", "transcript", "config.json" … for messages. */
  what?: string;
  /** Error code for a path that is missing (default NOT_FOUND). */
  missingCode?: string;
  /** Error code for a file over maxBytes (default FILE_TOO_LARGE). */
  tooLargeCode?: string;
}

function fmtBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}

/**
 * Throws NOT_A_REGULAR_FILE unless `file` (symlinks followed) is a regular file. For checks
 * before a library opens the path itself (the tokenizer, the safetensors reader).
 */
export function assertRegularFile(file: string, what = 'file'): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('NOT_FOUND', `${file}: no such ${what}.`);
    throw e;
  }
  if (!st.isFile()) throw notRegular(file, st, what);
  return st;
}

function notRegular(file: string, st: fs.Stats, what: string): UserError {
  return new UserError('NOT_A_REGULAR_FILE', `${file} is ${kindOf(st)}, not a regular file; a ${what} must be an ordinary file. Nothing was read from it.`);
}

/** Reads a regular file (symlinks followed) whole; refuses FIFOs, devices, sockets and folders. */
export function readRegularFile(file: string, opts: ReadOptions = {}): Buffer {
  const what = opts.what ?? 'file';
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(opts.missingCode ?? 'NOT_FOUND', `${file}: no such ${what}; check the path.`);
    if (code === 'ENXIO') throw new UserError('NOT_A_REGULAR_FILE', `${file} is a socket or a device, not a regular file; a ${what} must be an ordinary file.`);
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notRegular(file, st, what);
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
      throw new UserError(opts.tooLargeCode ?? 'FILE_TOO_LARGE', `${file}: the ${what} is ${fmtBytes(st.size)}, over the ${fmtBytes(opts.maxBytes)} limit. Check that the right file is in place.`);
    }
    const out = Buffer.allocUnsafe(st.size);
    let got = 0;
    // A regular file that grows while we read is read up to its fstat size, never beyond.
    while (got < st.size) {
      const n = fs.readSync(fd, out, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === st.size ? out : out.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a regular file as UTF-8 text; invalid UTF-8 is an error (code `invalidCode`), never U+FFFD. */
export function readRegularText(file: string, opts: ReadOptions & { invalidCode?: string } = {}): string {
  const bytes = readRegularFile(file, opts);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Where: decode leniently and find the first replacement character (O(n); a genuine U+FFFD
    // before the bad byte would point too early, which is harmless for a hint).
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const at = lenient.indexOf('\uFFFD');
    const line = lenient.slice(0, Math.max(at, 0)).split('\n').length;
    throw new UserError(opts.invalidCode ?? 'TEXT_INVALID_UTF8', `${file}: the ${opts.what ?? 'file'} is not valid UTF-8 (first bad byte on line ${line}). Save it as UTF-8 and try again.`);
  }
}
