/**
 * The inputs of a comparison: the clips of a Hugging Face "audiofolder" dataset (what
 * `vocab-tuner data export` writes) and the vocabulary terms file.
 *
 * Audiofolder layout: `metadata.csv` or `metadata.jsonl` at the root with `file_name`,
 * `transcription` (or `text` / `sentence`) and optional `split` and `subset` columns; or one
 * sub-folder per split (`test/metadata.csv`, …) whose name is the split. The store's export
 * (src-main/store/export.ts) writes train/ validation/ test/ folders and keeps the forgetting-guard
 * clips in test/ with `subset = general`, because `datasets` drops unknown split folders.
 * Which clip feeds which evaluation set:
 * - split `train` → skipped: a model cannot be judged on what it trained on;
 * - split `general`, or `subset = general` in a held-out split → the general set (the guard);
 * - split `test` → held-out; `validation` too when no test clip carries terms (noted);
 * - no split column at all → held-out (a plain evaluation set), or general by `subset`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { parseCsv } from '../store/csv.ts';
import type { ClipSet } from './types.ts';

export type EvalClip = {
  /** file_name relative to the dataset root, which is unique: used as the clip id. */
  id: string;
  /** Absolute path of the audio file. */
  audioPath: string;
  reference: string;
  set: ClipSet;
  /** The dataset's split, or null when it has none. */
  split: string | null;
  /** The app's recording this clip was exported from (`recording_id`), so a report can point at it. */
  recordingId?: number;
};

export type EvalSet = { root: string; clips: EvalClip[]; notes: string[] };

type Row = { file_name: string; text: string; split: string | null; general: boolean; recordingId?: number };

const TEXT_COLUMNS = ['transcription', 'text', 'sentence'];

function fail(root: string, what: string): never {
  throw new UserError('DATASET_INVALID', `The dataset ${root} ${what}; export it again with \`vocab-tuner data export\` or fix its metadata file.`);
}

function readMetadata(dir: string, root: string): Row[] | null {
  const csv = path.join(dir, 'metadata.csv');
  const jsonl = path.join(dir, 'metadata.jsonl');
  let records: Record<string, unknown>[];
  if (existsSync(csv)) {
    // The store's RFC 4180 reader (one CSV dialect for import and evaluation); blank lines skipped.
    const [header, ...body] = parseCsv(readFileSync(csv, 'utf8'), csv).filter((r) => r.some((cell) => cell.length > 0));
    if (!header) fail(root, `has an empty ${csv}`);
    records = body.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ''])));
  } else if (existsSync(jsonl)) {
    records = readFileSync(jsonl, 'utf8').split(/\r?\n/).filter((l) => l.trim()).map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        fail(root, `has a line that is not JSON (${jsonl}:${i + 1})`);
      }
    });
  } else return null;
  return records.map((r, i) => {
    const file = r.file_name;
    const textKey = TEXT_COLUMNS.find((k) => typeof r[k] === 'string');
    if (typeof file !== 'string' || !file) fail(root, `has a row without file_name (row ${i + 1} of ${dir})`);
    if (!textKey) fail(root, `has no ${TEXT_COLUMNS.join(' / ')} for ${file}`);
    const split = typeof r.split === 'string' && r.split.trim() ? r.split.trim() : null;
    const general = split === 'general' || (typeof r.subset === 'string' && r.subset.trim() === 'general');
    const row: Row = { file_name: path.join(path.relative(root, dir), file), text: r[textKey] as string, split, general };
    if (Number.isSafeInteger(r.recording_id)) row.recordingId = r.recording_id as number;
    return row;
  });
}

/** Read an audiofolder dataset into evaluation clips (see the file comment for the split rules). */
export function readEvalSet(root: string): EvalSet {
  root = path.resolve(root);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UserError('DATASET_NOT_FOUND', `No dataset folder at ${root}; pass the folder that holds metadata.csv or metadata.jsonl.`);
  }
  let rows = readMetadata(root, root);
  if (!rows) {
    rows = [];
    for (const name of readdirSync(root).sort()) {
      const sub = path.join(root, name);
      if (!statSync(sub).isDirectory()) continue;
      const r = readMetadata(sub, root);
      if (r) rows.push(...r.map((x) => ({ ...x, split: x.split ?? name })));
    }
    if (rows.length === 0) fail(root, 'has no metadata.csv or metadata.jsonl (at the root or in split folders)');
  }
  const notes: string[] = [];
  const hasSplits = rows.some((r) => r.split !== null);
  const hasTest = rows.some((r) => r.split === 'test' && !r.general);
  const heldout = new Set(hasTest ? ['test', 'general'] : ['test', 'validation', 'general']);
  if (hasSplits && !hasTest && rows.some((r) => r.split === 'validation')) {
    notes.push('No held-out term clips in test: the validation clips were used as the held-out set.');
  }
  const clips: EvalClip[] = [];
  const skipped = new Map<string, number>();
  for (const r of rows) {
    const scored = !hasSplits || (r.split !== null && heldout.has(r.split));
    const set: ClipSet | null = !scored ? null : r.general ? 'general' : 'heldout';
    if (!set) {
      skipped.set(r.split ?? '(none)', (skipped.get(r.split ?? '(none)') ?? 0) + 1);
      continue;
    }
    const audioPath = path.join(root, r.file_name);
    if (!existsSync(audioPath)) fail(root, `lists ${r.file_name}, which does not exist`);
    const clip: EvalClip = { id: r.file_name.split(path.sep).join('/'), audioPath, reference: r.text, set, split: r.split };
    if (r.recordingId !== undefined) clip.recordingId = r.recordingId;
    clips.push(clip);
  }
  for (const [split, n] of skipped) notes.push(`${n} clip(s) in split "${split}" were not scored (not a held-out split).`);
  if (clips.length === 0) fail(root, 'has no held-out clips (split test, validation or general)');
  return { root, clips, notes };
}

/** A terms file: one term per line, exact spelling; blank lines and lines starting with # ignored. */
export function readTermsFile(file: string): string[] {
  if (!existsSync(file)) throw new UserError('TERMS_NOT_FOUND', `No terms file at ${file}; write one term per line, spelled exactly as it should be transcribed.`);
  const seen = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const t = line.trim();
    if (t && !t.startsWith('#')) seen.add(t);
  }
  return [...seen];
}
