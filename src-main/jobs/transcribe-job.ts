/**
 * @file Job: pre-label clips with the base model (Dataset page). Each clip is transcribed like
 * `vocab-tuner transcribe --temperature 0`: greedy, without the sampled fallback, so a clip always
 * gets the same suggestion (as in the comparison) and a clip the model cannot read costs one
 * decode instead of six; a person checks every pre-label anyway. The serving process
 * stores the texts with source `base_model` when the job is done, so a user who types a transcript
 * meanwhile is never overwritten (the handler checks).
 *
 *   params: { modelDir, clips: [{ id, path }] }   (path: the clip's 16 kHz WAV in the data folder)
 *   result: [{ id, text }]
 */
import { backendFromEnv, initBackend } from '../compute/backend.ts';
import { loadAudio } from '../audio/load.ts';
import { loadWhisper } from '../whisper/load.ts';
import { transcribeSamples } from '../whisper/transcribe.ts';
import type { JobContext } from './protocol.ts';

export interface TranscribeJobParams {
  modelDir: string;
  language?: string;
  clips: { id: number; path: string }[];
}

export async function run(p: TranscribeJobParams, ctx: JobContext): Promise<{ id: number; text: string }[]> {
  await initBackend(backendFromEnv());
  ctx.progress({ done: 0, total: p.clips.length, message: 'loading the base model' });
  const { model, tokenizer } = await loadWhisper(p.modelDir);
  const out: { id: number; text: string }[] = [];
  try {
    for (const c of p.clips) {
      if (ctx.signal.aborted) break;
      const samples = await loadAudio(c.path);
      const lang = tokenizer.isMultilingual ? (p.language ?? 'en') : undefined;
      const t = await transcribeSamples(model, tokenizer, samples, { language: lang, temperatures: [0], signal: ctx.signal });
      out.push({ id: c.id, text: t.text.trim() });
      ctx.progress({ done: out.length, total: p.clips.length, message: `clip ${c.id}: ${t.text.trim().slice(0, 80)}` });
    }
  } finally {
    model.dispose();
  }
  return out;
}
