/**
 * Export a project as a Hugging Face audiofolder that `datasets` loads with its splits unchanged:
 *
 *   <out>/train/metadata.csv        file_name,transcription,subset,terms
 *   <out>/train/clip-000001.wav     16 kHz mono PCM16
 *   <out>/validation/…
 *   <out>/test/…                    also holds the forgetting-guard clips (subset = general)
 *
 * `datasets.load_dataset("audiofolder", data_dir=out)` finds the splits by folder name (train,
 * validation, test are its keywords; a "general" folder would be silently dropped, which is why
 * the guard clips live in test/ with subset=general). `subset` is vocabulary | negative | general;
 * `terms` lists the vocabulary terms in the transcript, "|"-separated.
 *
 * CSV injection: a transcript starting with = + - @ tab or CR would run as a formula if someone
 * opens metadata.csv in a spreadsheet. By default the export is refused, naming the clips, since
 * changing the text would silently change training labels; `escapeFormulas` instead prefixes
 * such cells with an apostrophe (OWASP), which DOES change the transcription text.
 *
 * `format: 'jsonl'` writes metadata.jsonl instead (one JSON object per line, the same fields plus
 * `recording_id`, which comparison reports carry so the app can play a clip), which
 * `datasets` reads the same way and no spreadsheet runs as a formula — so the problem cannot
 * arise and no text changes. The app's Tune exports this way (`exportTrainingDataset`): "-5
 * degrees outside" is an ordinary sentence and must never block training.
 *
 * The export is written to a sibling temp folder and renamed into place at the end, so a failed
 * or interrupted export leaves no half-written dataset. Every clip is checksum-verified as read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatCsvRow, looksLikeFormula, neutraliseFormula } from './csv.ts';
import { StoreError } from './errors.ts';
import { readRecordingBytes, listRecordings, type Split } from './recordings.ts';
import { assignSplits, strataOf } from './splits.ts';
import type { Store } from './store.ts';
import { listTerms, termMatcher } from './terms.ts';

export const EXPORT_SPLITS = ['train', 'validation', 'test'] as const;
export type ExportSplit = (typeof EXPORT_SPLITS)[number];

/** Where each store split goes in the export. */
export const EXPORT_DIR: Record<Split, ExportSplit> = { train: 'train', validation: 'validation', test: 'test', general: 'test' };

export type ExportOptions = { escapeFormulas?: boolean; seed?: number; format?: 'csv' | 'jsonl' };
export type ExportResult = { out: string; counts: Record<ExportSplit, number>; skipped: { id: number; reason: string }[]; escaped: number[] };

export function exportAudiofolder(store: Store, projectId: number, outDir: string, opts: ExportOptions = {}): ExportResult {
  const out = path.resolve(outDir);
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
    throw new StoreError('EXPORT_TARGET_EXISTS', `${out} already exists and is not an empty folder; choose a new folder so nothing there is overwritten.`);
  }
  const match = termMatcher(listTerms(store.db, projectId));
  const jsonl = opts.format === 'jsonl';
  // Refuse before assigning splits, so a refused export changes nothing at all. (JSON lines hold
  // text as text: nothing to refuse or escape.)
  const formulas = jsonl ? [] : listRecordings(store.db, projectId)
    .filter((r) => r.transcript !== null && (looksLikeFormula(r.transcript) || looksLikeFormula(match(r.transcript).map((t) => t.text).join('|'))))
    .map((r) => r.id);
  if (formulas.length && !opts.escapeFormulas) {
    throw new StoreError(
      'EXPORT_CSV_FORMULA',
      `${formulas.length} transcript(s) start with = + - @ or a tab (clips ${formulas.slice(0, 10).join(', ')}${formulas.length > 10 ? ', …' : ''}), which spreadsheets run as formulas. Edit those transcripts (e.g. "minus 5" for "-5"), or pass --escape-formulas to prefix them with an apostrophe (this changes the exported text). Nothing was exported.`,
    );
  }
  assignSplits(store.db, projectId, { seed: opts.seed });
  const recs = listRecordings(store.db, projectId);
  const { rows: sRows, stratum } = strataOf(store.db, projectId);
  const stratumOf = new Map(sRows.map((r, i) => [r.id, stratum[i]]));

  const skipped: ExportResult['skipped'] = [];
  const lines = new Map<ExportSplit, string[]>(EXPORT_SPLITS.map((s) => [s, []]));
  const copies: { rec: (typeof recs)[number]; to: string }[] = [];
  for (const r of recs) {
    if (r.transcript === null) {
      skipped.push({ id: r.id, reason: 'no transcript' });
      continue;
    }
    const dir = EXPORT_DIR[r.split!];
    const fileName = `clip-${String(r.id).padStart(6, '0')}.wav`;
    const st = stratumOf.get(r.id) ?? 'general';
    const subset = st === 'general' ? 'general' : st.startsWith('negative:') ? 'negative' : 'vocabulary';
    const terms = match(r.transcript).map((t) => t.text).join('|');
    lines.get(dir)!.push(
      jsonl
        ? JSON.stringify({ file_name: fileName, transcription: r.transcript, subset, terms, recording_id: r.id }) + '\n'
        : formatCsvRow([fileName, neutraliseFormula(r.transcript), subset, neutraliseFormula(terms)]),
    );
    copies.push({ rec: r, to: path.join(dir, fileName) });
  }

  const tmp = `${out}.partial-${process.pid}-${Date.now()}`;
  try {
    const counts = { train: 0, validation: 0, test: 0 } as Record<ExportSplit, number>;
    for (const s of EXPORT_SPLITS) {
      const rows = lines.get(s)!;
      if (rows.length === 0) continue; // an empty split folder would make `datasets` fail to load
      fs.mkdirSync(path.join(tmp, s), { recursive: true });
      if (jsonl) fs.writeFileSync(path.join(tmp, s, 'metadata.jsonl'), rows.join(''));
      else fs.writeFileSync(path.join(tmp, s, 'metadata.csv'), formatCsvRow(['file_name', 'transcription', 'subset', 'terms']) + rows.join(''));
      counts[s] = rows.length;
    }
    for (const c of copies) fs.writeFileSync(path.join(tmp, c.to), readRecordingBytes(store, c.rec));
    if (fs.existsSync(out)) fs.rmdirSync(out); // empty, checked above
    fs.renameSync(tmp, out);
    return { out, counts, skipped, escaped: opts.escapeFormulas ? formulas : [] };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The dataset the app trains on (Tune): JSON lines, so transcripts that look like spreadsheet
 * formulas ("-5 degrees outside", "+1 for CUDA") are exported exactly as written and never block
 * a run. Same layout and fields as `exportAudiofolder`.
 */
export function exportTrainingDataset(store: Store, projectId: number, outDir: string, opts: Omit<ExportOptions, 'format' | 'escapeFormulas'> = {}): ExportResult {
  return exportAudiofolder(store, projectId, outDir, { ...opts, format: 'jsonl' });
}
