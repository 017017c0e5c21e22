/**
 * Training data: a Hugging Face audiofolder (metadata.csv / metadata.jsonl with file_name and
 * transcription, optional split; or split folders; or same-name .txt files), read with the same
 * checked reader the store's import uses, then loaded as 16 kHz mono and tokenised.
 *
 * Splits: train → training; validation → validation; general → the forgetting guard; test → held
 * out for `compare`, never trained on. Without any split column, a deterministic 15 % of clips
 * (by a hash of the file name) become validation.
 */
import { createHash } from 'node:crypto';
import { loadAudio } from '../audio/load.ts';
import { N_SAMPLES, SAMPLE_RATE } from '../audio/constants.ts';
import { planImport } from '../store/import.ts';
import { UserError } from '../util/errors.ts';

export interface Clip {
  id: string;
  audioPath: string;
  text: string;
  samples: Float32Array;
}

export interface TrainingSet {
  train: Clip[];
  validation: Clip[];
  general: Clip[];
  notes: string[];
}

function hashFraction(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32LE(0) / 2 ** 32;
}

/**
 * The split a clip trains in: its own split when the dataset has a split column or split folders,
 * else validation for a deterministic 15 % (by a hash of its file name) and train for the rest.
 * Exported so the cluster recipe (src-main/recipe/) writes exactly the splits this trainer uses.
 */
export function trainingSplit(id: string, split: string | null, hasSplit: boolean): string | null {
  return hasSplit ? split : hashFraction(id) < 0.15 ? 'validation' : 'train';
}

export async function readTrainingSet(root: string, onProgress?: (done: number, total: number) => void): Promise<TrainingSet> {
  const items = planImport(root);
  const hasSplit = items.some((i) => i.split !== null);
  const out: TrainingSet = { train: [], validation: [], general: [], notes: [] };
  let done = 0;
  for (const it of items) {
    const samples = await loadAudio(it.audio);
    onProgress?.(++done, items.length);
    if (samples.length > N_SAMPLES) {
      throw new UserError('AUDIO_TOO_LONG', `${it.name} is ${(samples.length / SAMPLE_RATE).toFixed(1)} s; training clips must be at most 30 s (split it at a pause, e.g. with \`vocab-tuner data import\`).`);
    }
    const clip: Clip = { id: it.name.split('\\').join('/'), audioPath: it.audio, text: it.transcript, samples };
    const split = trainingSplit(clip.id, it.split, hasSplit);
    if (split === 'train') out.train.push(clip);
    else if (split === 'validation') out.validation.push(clip);
    else if (split === 'general') out.general.push(clip);
  }
  if (!hasSplit) out.notes.push(`no split column: ${out.validation.length} of ${items.length} clips held out for validation by file-name hash`);
  if (out.train.length === 0) throw new UserError('DATASET_EMPTY', `${root} has no training clips (split "train", or no split column at all).`);
  return out;
}
