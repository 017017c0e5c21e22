/**
 * A small speech dataset made with espeak-ng: sentences containing "PyTorch" and control
 * sentences without it, as an audiofolder with train / validation / test splits.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { speakMany } from './speech.ts';

export const TERM_TRAIN = [
  'I train my models in PyTorch.',
  'PyTorch makes tensors easy.',
  'We moved the whole project to PyTorch.',
  'PyTorch runs on the graphics card.',
  'She wrote the layer in PyTorch last week.',
  'The PyTorch code is on the server.',
  'Install PyTorch before the lesson.',
  'PyTorch and the data loader work well.',
];
export const CONTROL_TRAIN = ['The weather is nice today.', 'Please open the window.', 'My dog sleeps all afternoon.', 'We had soup for dinner.'];
export const TERM_HELDOUT = ['Our team prefers PyTorch for research.', 'He fixed the PyTorch import.'];
export const CONTROL_HELDOUT = ['The train was late again.', 'Put the books on the shelf.'];

/** Writes the dataset once into `dir` (metadata.csv with a split column) and returns its path. */
export async function makeTermDataset(dir: string): Promise<string> {
  if (existsSync(join(dir, 'metadata.csv'))) return dir;
  mkdirSync(dir, { recursive: true });
  const rows: [string, string, string][] = [];
  const add = (texts: string[], split: string, tag: string) => texts.forEach((t, i) => rows.push([`${tag}-${split}-${i}.wav`, t, split]));
  add(TERM_TRAIN, 'train', 'term');
  add(CONTROL_TRAIN, 'train', 'control');
  add(TERM_HELDOUT, 'test', 'term');
  add(CONTROL_HELDOUT, 'test', 'control');
  await speakMany(rows.map(([name, text]) => ({ name, text })), dir);
  writeFileSync(join(dir, 'metadata.csv'), ['file_name,transcription,split', ...rows.map(([f, t, s]) => `${f},"${t}",${s}`)].join('\n') + '\n');
  return dir;
}
