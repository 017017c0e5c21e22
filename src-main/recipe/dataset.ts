/**
 * The recipe's dataset: the run's training data rewritten as a Hugging Face audiofolder with the
 * splits our trainer used, so the cluster trains and validates on exactly the same clips.
 *
 *   data/train/metadata.csv        file_name,transcription,subset,clip_id
 *   data/train/clip-000001.wav     16 kHz mono PCM16 (what our loader hands the trainer)
 *   data/validation/…
 *   data/test/…                    held-out test clips and the forgetting-guard clips (subset=general)
 *
 * Splits follow `tuning/dataset.ts` (the split column or folders; without them the trainer's 15 %
 * hash rule), and the guard clips go to test/ with subset=general, as the store's export does:
 * `datasets` only knows train/validation/test folder names. Audio is decoded with our loader
 * (any format, any rate) and written as 16 kHz PCM16, so train.py needs no audio codec at all.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadAudio } from '../audio/load.ts';
import { encodeWavPcm16 } from '../audio/wav.ts';
import { SAMPLE_RATE } from '../audio/constants.ts';
import { planImport } from '../store/import.ts';
import { formatCsvRow } from '../store/csv.ts';
import { trainingSplit } from '../tuning/dataset.ts';

export const RECIPE_SPLITS = ['train', 'validation', 'test'] as const;
export type RecipeSplit = (typeof RECIPE_SPLITS)[number];

export interface RecipeDatasetSummary {
  counts: Record<RecipeSplit, number>;
  /** Guard clips (in test/ with subset=general). */
  general: number;
  seconds: number;
}

/** Copies `srcDir`'s clips into `outDir` as an audiofolder; `onProgress(done, total)` per clip. */
export async function writeRecipeDataset(srcDir: string, outDir: string, terms: readonly string[], onProgress?: (done: number, total: number) => void): Promise<RecipeDatasetSummary> {
  const items = planImport(srcDir);
  const hasSplit = items.some((i) => i.split !== null);
  const rows = new Map<RecipeSplit, string[]>(RECIPE_SPLITS.map((s) => [s, [formatCsvRow(['file_name', 'transcription', 'subset', 'clip_id'])]]));
  const summary: RecipeDatasetSummary = { counts: { train: 0, validation: 0, test: 0 }, general: 0, seconds: 0 };
  for (const s of RECIPE_SPLITS) mkdirSync(path.join(outDir, s), { recursive: true });
  let n = 0;
  for (const it of items) {
    const id = it.name.split('\\').join('/');
    const split = trainingSplit(id, it.split, hasSplit);
    if (split === null) continue;
    const folder: RecipeSplit = split === 'general' ? 'test' : (split as RecipeSplit);
    const samples = await loadAudio(it.audio);
    const file = `clip-${String(++n).padStart(6, '0')}.wav`;
    writeFileSync(path.join(outDir, folder, file), encodeWavPcm16(samples, SAMPLE_RATE));
    const subset = split === 'general' ? 'general' : terms.some((t) => it.transcript.includes(t)) ? 'vocabulary' : 'other';
    // clip_id: the trainer's id for this clip, which seeds its augmentation draws.
    rows.get(folder)!.push(formatCsvRow([file, it.transcript, subset, id]));
    summary.counts[folder]++;
    if (split === 'general') summary.general++;
    summary.seconds += samples.length / SAMPLE_RATE;
    onProgress?.(n, items.length);
  }
  for (const [s, lines] of rows) writeFileSync(path.join(outDir, s, 'metadata.csv'), lines.join(''));
  return summary;
}
