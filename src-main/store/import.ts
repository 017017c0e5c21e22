/**
 * Import a folder of audio + transcripts, the layouts Hugging Face audiofolder uses:
 *   <dir>/metadata.csv | metadata.jsonl            file_name, transcription [, split]
 *   <dir>/<split>/metadata.csv | metadata.jsonl    the same per split folder (our own export)
 *   <dir>/**\/x.wav + x.txt                         a same-name .txt beside each audio file
 * Audio at any sample rate / channel count / format decodeAudioBytes reads → 16 kHz mono PCM16.
 *
 * Symlinks and special files, one policy for audio, transcripts and metadata alike: a symbolic
 * link (to a file or a folder) is followed only when its real path lies inside the imported
 * folder; a link that leads outside refuses the whole import (IMPORT_UNSAFE_PATH), never silently
 * skips or reads it. FIFOs, devices and sockets are never opened (NOT_A_REGULAR_FILE), so a pipe
 * cannot hang the import and /dev/zero cannot stream into it.
 *
 * All or nothing, in this order:
 *   1. read and check metadata: paths stay inside the folder (no "..", no absolute paths, no
 *      symlinks out), transcripts at most 2 000 characters, UTF-8, no control or bidi-override
 *      characters, split names known
 *   2. decode and check every clip (not empty, ≤ 30 s), checksum it, find duplicates (against the
 *      project and within the folder)
 *   3. only then write files (atomically) and insert every row in ONE transaction; if that fails,
 *      the files this import created are removed again.
 * A failing import therefore leaves the database and the data directory as they were.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeAudioBytes } from '../audio/load.ts';
import { AUDIO_LIMITS } from '../audio/limits.ts';
import { readRegularFile, readRegularText } from '../util/user-files.ts';
import { unsafeTextProblem } from '../util/text-safety.ts';
import { writeAudioAtomic } from './audio-files.ts';
import { parseCsv } from './csv.ts';
import { StoreError } from './errors.ts';
import { findBySha, insertRecordings, prepareClip, type NewRecording, type PreparedClip, type Split } from './recordings.ts';
import type { Store } from './store.ts';
import { checkTranscript, MAX_TRANSCRIPT_CHARS } from './transcripts.ts';
import { nowIso } from './store.ts';

export const AUDIO_EXTENSIONS = ['.wav', '.flac', '.mp3', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.webm', '.aiff', '.aif', '.aifc'];
/** 30 s of 48 kHz 8-channel 64-bit float is 92 MB; anything bigger cannot be a valid clip. */
const MAX_AUDIO_BYTES = 100 * 1024 * 1024;
const MAX_METADATA_BYTES = 64 * 1024 * 1024;
/** Keep decoded clips between the check pass and the write pass up to this much memory. */
const KEEP_BYTES = 256 * 1024 * 1024;

const SPLIT_NAMES: Record<string, Split> = {
  train: 'train', training: 'train',
  validation: 'validation', valid: 'validation', val: 'validation', dev: 'validation',
  test: 'test', testing: 'test', eval: 'test', evaluation: 'test',
  general: 'general',
};

export type ImportItem = { audio: string; name: string; transcript: string; split: Split | null };
export type ImportOptions = { skipDuplicates?: boolean; onProgress?: (done: number, total: number, stage: 'check' | 'write') => void };
export type ImportResult = { imported: number[]; skipped: { name: string; reason: string }[] };

function fail(code: string, msg: string): never {
  throw new StoreError(code, msg);
}

/** Resolve a metadata file_name safely inside `root`; throws IMPORT_UNSAFE_PATH otherwise. */
export function safeJoin(root: string, base: string, rel: unknown, where: string): string {
  if (typeof rel !== 'string' || rel.length === 0) fail('IMPORT_METADATA_INVALID', `${where}: file_name is missing or not text.`);
  const unsafe = (why: string) =>
    fail('IMPORT_UNSAFE_PATH', `${where}: file_name "${rel.slice(0, 200)}" ${why}; file names must be relative paths inside the imported folder. Nothing was imported.`);
  if (rel.includes('\0')) unsafe('contains a NUL byte');
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) unsafe('is an absolute path');
  if (rel.split(/[\\/]/).includes('..')) unsafe('climbs out with ".."');
  const abs = path.resolve(base, rel);
  if (!inside(abs, root)) unsafe('points outside the folder');
  if (fs.existsSync(abs) && !inside(fs.realpathSync(abs), fs.realpathSync(root))) unsafe('is a link to a file outside the folder');
  return abs;
}

const inside = (p: string, r: string) => p === r || p.startsWith(r + path.sep);

/** The symlink policy: `file` (which exists) must really lie inside `root`, links resolved. */
function checkInside(root: string, file: string): void {
  if (!inside(fs.realpathSync(file), fs.realpathSync(root))) {
    fail('IMPORT_UNSAFE_PATH', `${file} is a link to a file outside the imported folder; links are followed only inside it. Copy the file into the folder instead. Nothing was imported.`);
  }
}

/** A metadata or transcript file: inside the folder, a regular file, within `limit`, valid UTF-8. */
function readLimited(root: string, file: string, limit: number, code: string, what: string, invalidCode = 'IMPORT_METADATA_INVALID'): string {
  checkInside(root, file);
  return readRegularText(file, { maxBytes: limit, tooLargeCode: code, what, invalidCode });
}

function parseSplit(v: unknown, where: string, fallback: Split | null): Split | null {
  if (v === undefined || v === null || v === '') return fallback;
  const s = SPLIT_NAMES[String(v).trim().toLowerCase()];
  if (!s) fail('IMPORT_METADATA_INVALID', `${where}: split "${String(v).slice(0, 40)}" is not one of train, validation, test, general.`);
  return s;
}

/** Records of one metadata file as plain objects. */
function readMetadata(root: string, file: string): { rows: Record<string, unknown>[]; where: (i: number) => string } {
  const text = readLimited(root, file, MAX_METADATA_BYTES, 'IMPORT_METADATA_INVALID', 'metadata file');
  if (file.endsWith('.jsonl')) {
    const rows: Record<string, unknown>[] = [];
    const lineNo: number[] = [];
    text.split(/\r?\n/).forEach((l, i) => {
      if (!l.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(l);
      } catch {
        fail('IMPORT_METADATA_INVALID', `${file}, line ${i + 1}: not valid JSON.`);
      }
      if (!v || typeof v !== 'object' || Array.isArray(v)) fail('IMPORT_METADATA_INVALID', `${file}, line ${i + 1}: each line must be a JSON object.`);
      rows.push(v as Record<string, unknown>);
      lineNo.push(i + 1);
    });
    return { rows, where: (i) => `${file}, line ${lineNo[i]}` };
  }
  const [header, ...body] = parseCsv(text, file);
  if (!header || !header.includes('file_name')) fail('IMPORT_METADATA_INVALID', `${file}: the first row must be a header with a file_name column (and transcription).`);
  const rows = body.filter((r) => r.length > 1 || r[0] !== '').map((r, i) => {
    if (r.length !== header.length) fail('IMPORT_METADATA_INVALID', `${file}, record ${i + 2}: ${r.length} cells but the header has ${header.length}.`);
    return Object.fromEntries(header.map((h, j) => [h, r[j]]));
  });
  return { rows, where: (i) => `${file}, record ${i + 2}` };
}

function transcriptOf(row: Record<string, unknown>, where: string): string {
  const key = ['transcription', 'text', 'sentence', 'transcript'].find((k) => k in row);
  if (!key) fail('IMPORT_METADATA_INVALID', `${where}: no transcription column (transcription, text, sentence or transcript).`);
  const v = row[key];
  if (typeof v !== 'string') fail('IMPORT_METADATA_INVALID', `${where}: ${key} must be text.`);
  return checkTranscript(v, where);
}

/**
 * Audio files under `dir` by extension. Links are followed (to files and folders) when they stay
 * inside `root`, and refuse the import otherwise; an entry that is not a regular file (a FIFO
 * named x.wav) is listed, so reading it refuses the import with its name rather than skipping it.
 */
function walkAudio(root: string, dir: string, depth = 0): string[] {
  if (depth > 8) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      if (!fs.existsSync(p)) continue; // a dangling link holds nothing to import
      checkInside(root, p);
      isDir = fs.statSync(p).isDirectory();
    }
    if (isDir) out.push(...walkAudio(root, p, depth + 1));
    else if (AUDIO_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) out.push(p);
  }
  return out.sort();
}

/** File names become clip names: no control or bidi-override characters in them either. */
function checkName(name: string): string {
  const problem = unsafeTextProblem(name, `the file name "${name.slice(0, 100)}"`);
  if (problem) fail('IMPORT_UNSAFE_PATH', `${problem}. Rename the file. Nothing was imported.`);
  return name;
}

/** Step 1: what the folder holds, metadata checked, nothing decoded yet. */
export function planImport(folder: string): ImportItem[] {
  const root = path.resolve(folder);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) fail('IMPORT_NOT_FOUND', `${root} is not a folder. Give the folder that holds the audio and its metadata.csv / .txt files.`);
  const metas: { file: string; split: Split | null }[] = [];
  for (const m of ['metadata.csv', 'metadata.jsonl']) if (fs.existsSync(path.join(root, m))) metas.push({ file: path.join(root, m), split: null });
  for (const d of Object.keys(SPLIT_NAMES)) {
    for (const m of ['metadata.csv', 'metadata.jsonl']) {
      const f = path.join(root, d, m);
      if (fs.existsSync(f)) metas.push({ file: f, split: SPLIT_NAMES[d] });
    }
  }
  const items: ImportItem[] = [];
  if (metas.length) {
    for (const { file, split } of metas) {
      const { rows, where } = readMetadata(root, file);
      rows.forEach((row, i) => {
        const audio = safeJoin(root, path.dirname(file), row.file_name, where(i));
        if (!fs.existsSync(audio)) fail('IMPORT_METADATA_INVALID', `${where(i)}: ${String(row.file_name)} does not exist.`);
        // Our own export keeps the forgetting-guard clips in test/ with subset = general (the
        // `datasets` library drops unknown split folders); read them back as the general split, or
        // the trainer would never see its guard set (runs started from the app had none).
        const sp = parseSplit(row.split, where(i), split);
        const general = sp === 'test' && typeof row.subset === 'string' && row.subset.trim() === 'general';
        items.push({ audio, name: checkName(path.relative(root, audio)), transcript: transcriptOf(row, where(i)), split: general ? 'general' : sp });
      });
    }
  } else {
    const missing: string[] = [];
    for (const audio of walkAudio(root, root)) {
      const txt = audio.slice(0, -path.extname(audio).length) + '.txt';
      if (!fs.existsSync(txt)) {
        // A dangling .txt link is a missing transcript too; a link out of the folder is refused.
        if (isLink(txt)) checkInside(root, txt);
        missing.push(path.relative(root, audio));
        continue;
      }
      // Checked by size before reading: a 10 MB "transcript" is refused without loading it.
      // Invalid UTF-8 is an error, never silently replaced by U+FFFD.
      const text = readLimited(root, txt, MAX_TRANSCRIPT_CHARS * 4, 'TRANSCRIPT_TOO_LONG', 'transcript', 'TRANSCRIPT_INVALID');
      items.push({ audio, name: checkName(path.relative(root, audio)), transcript: checkTranscript(text, txt), split: null });
    }
    if (missing.length) {
      fail('IMPORT_METADATA_INVALID', `${missing.length} audio file(s) have no transcript: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}. Put a same-name .txt beside each, or a metadata.csv (file_name,transcription) in the folder.`);
    }
  }
  if (items.length === 0) fail('IMPORT_NOTHING_FOUND', `${root} holds no audio listed in a metadata.csv / metadata.jsonl and no audio file with a same-name .txt.`);
  return items;
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

async function decodeItem(it: ImportItem): Promise<PreparedClip> {
  const size = fs.statSync(it.audio).size;
  if (size > MAX_AUDIO_BYTES) fail('AUDIO_TOO_LONG', `${it.name}: the file is ${(size / 1e6).toFixed(0)} MB, far more than a 30 s clip; clips must be at most 30 s. Cut it into shorter clips with their own transcripts.`);
  // Regular files only (a FIFO would block forever); the header is checked before decoding.
  const bytes = readRegularFile(it.audio, { what: 'audio file', maxBytes: MAX_AUDIO_BYTES, tooLargeCode: 'AUDIO_TOO_LONG' });
  const samples = await decodeAudioBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), it.name, { maxSeconds: AUDIO_LIMITS.clipSeconds });
  return prepareClip(samples, it.name);
}

export async function importFolder(store: Store, projectId: number, folder: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const items = planImport(folder);
  const skipped: ImportResult['skipped'] = [];
  const keep: { it: ImportItem; sha256: string; clip: PreparedClip | null }[] = [];
  const seen = new Map<string, string>();
  let kept = 0;
  // Step 2: decode and check everything before the first write.
  for (const [i, it] of items.entries()) {
    const clip = await decodeItem(it);
    const dupOf = seen.get(clip.sha256) ?? (findBySha(store.db, projectId, clip.sha256) ? `clip ${findBySha(store.db, projectId, clip.sha256)!.id} already stored` : undefined);
    if (dupOf) {
      if (!opts.skipDuplicates) {
        fail('IMPORT_DUPLICATE', `${it.name} is the same audio as ${seen.has(clip.sha256) ? dupOf + ' in this folder' : dupOf}. Nothing was imported; remove the duplicate, or pass --skip-duplicates to import the rest.`);
      }
      skipped.push({ name: it.name, reason: `duplicate of ${dupOf}` });
    } else {
      seen.set(clip.sha256, it.name);
      const small = kept + clip.wav.length <= KEEP_BYTES;
      if (small) kept += clip.wav.length;
      keep.push({ it, sha256: clip.sha256, clip: small ? clip : null });
    }
    opts.onProgress?.(i + 1, items.length, 'check');
  }
  // Step 3: files, then all rows in one transaction; undo our new files if anything fails.
  const created: string[] = [];
  try {
    const rows: NewRecording[] = [];
    for (const [i, k] of keep.entries()) {
      const clip = k.clip ?? (await decodeItem(k.it));
      if (clip.sha256 !== k.sha256) throw new Error(`${k.it.name} changed while it was being imported`);
      const existed = fs.existsSync(path.join(store.dataDir, `audio/${k.sha256.slice(0, 2)}/${k.sha256}.wav`));
      const { file } = writeAudioAtomic(store.dataDir, clip.wav);
      if (!existed) created.push(file);
      rows.push({ clip, file, transcript: { text: k.it.transcript, source: 'import' }, source: 'imported', sourceName: k.it.name });
      k.clip = null;
      opts.onProgress?.(i + 1, keep.length, 'write');
    }
    const ids = store.db.transaction(() => {
      const ids = insertRecordings(store.db, projectId, rows);
      const ins = store.db.prepare('INSERT INTO splits (recording_id, split, seed, assigned_at) VALUES (?, ?, -1, ?)');
      const now = nowIso();
      keep.forEach((k, i) => k.it.split && ins.run(ids[i], k.it.split, now));
      return ids;
    })();
    return { imported: ids, skipped };
  } catch (e) {
    for (const f of created) {
      fs.rmSync(path.join(store.dataDir, f), { force: true });
      // Leave the folder as found: drop the checksum prefix folder too if we emptied it.
      if (fs.readdirSync(path.dirname(path.join(store.dataDir, f))).length === 0) fs.rmdirSync(path.dirname(path.join(store.dataDir, f)));
    }
    throw e;
  }
}
