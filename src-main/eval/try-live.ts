/**
 * Try it: one utterance heard by the base model and a tuned model side by side — both transcripts,
 * each model's latency, and per term occurrence the teacher-forced probability in both models with
 * the top competitor at its first token. Shared by the `try` job (the app) and `vocab-tuner try`.
 *
 * It drives the comparison's ModelRunner through its public API, so the encoder output of the
 * utterance is computed once and reused by the tuned model whenever the adapter leaves the encoder
 * alone (the default decoder-only LoRA): `encoderShared` says when that happened. The utterance is
 * written to a private temp file only because the runner reads clips from files; it is deleted
 * before this returns — a try keeps no audio (the app stores it only on "Add to dataset").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SAMPLE_RATE } from '../audio/constants.ts';
import { encodeWavPcm16 } from '../audio/wav.ts';
import type { TryResult, TryTermProbe, TryTranscript } from '../ipc/contract.ts';
import { alignSequences } from './align.ts';
import { vocabularyPrompt, type DecodeSettings } from './compare.ts';
import { orthographicWords } from './tokenize-words.ts';
import type { EvalClip } from './eval-set.ts';
import type { ModelRunner } from './run-models.ts';
import type { TermProbe } from './types.ts';

export interface TryOptions {
  /** PEFT adapter / merged folder / run folder; null: the base model only. */
  adapter: string | null;
  scale: number;
  terms: string[];
  expected?: string;
  withPrompt?: boolean;
  signal?: AbortSignal;
}

/** Which text to teacher-force: what the speaker meant, else the first transcript holding a term. */
export function probeTextFor(transcripts: { text: string }[], terms: string[], expected?: string): string | null {
  if (expected?.trim()) return expected.trim();
  return transcripts.find((t) => terms.some((term) => term && t.text.includes(term)))?.text ?? null;
}

const side = (p: TermProbe) => {
  const lp = p.tokens.reduce((s, t) => s + t.logprob, 0);
  const first = p.tokens[0];
  const rival = p.firstTokenTop.find((t) => t.id !== first?.id);
  return { prob: Math.exp(lp), firstTokenProb: first ? Math.exp(first.logprob) : 0, top: rival ? { text: rival.text, prob: Math.exp(rival.logprob) } : null };
};

/** samples: 16 kHz mono. `runner` has the base model loaded (and the adapter prepared). */
export async function tryUtterance(runner: ModelRunner, samples: Float32Array, o: TryOptions): Promise<Omit<TryResult, 'loadMs'>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-try-'));
  const file = path.join(dir, 'utterance.wav');
  try {
    writeFileSync(file, encodeWavPcm16(samples, SAMPLE_RATE));
    const clip = (reference: string): EvalClip => ({ id: 'try', audioPath: file, reference, set: 'heldout', split: null });
    const model = runner.modelDir;
    const settings: { label: TryTranscript['label']; s: DecodeSettings }[] = [{ label: 'base', s: { model, adapter: null, adapterScale: 0, prompt: null } }];
    if (o.adapter) settings.push({ label: 'tuned', s: { model, adapter: o.adapter, adapterScale: o.scale, prompt: null } });
    if (o.withPrompt && o.terms.length) settings.push({ label: 'base + prompt', s: { model, adapter: null, adapterScale: 0, prompt: vocabularyPrompt(o.terms) } });
    const before = runner.stats.encoderRuns;
    const transcripts: TryTranscript[] = [];
    for (const { label, s } of settings) {
      if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { code: 'CANCELLED' });
      const hits = runner.stats.encoderCacheHits;
      const t0 = performance.now();
      const text = await runner.transcribe(clip(''), s);
      transcripts.push({ label, text, ms: Math.round(performance.now() - t0), encoderShared: runner.stats.encoderCacheHits > hits });
    }
    const probeText = probeTextFor(transcripts.filter((t) => t.label !== 'base + prompt'), o.terms, o.expected);
    const probes: TryTermProbe[] = [];
    if (probeText && o.terms.length) {
      const base = await runner.probe(clip(probeText), settings[0].s, o.terms);
      const tuned = o.adapter ? await runner.probe(clip(probeText), settings[1].s, o.terms) : [];
      base.forEach((b, i) => probes.push({ term: b.term, tokens: b.tokens.map((t) => t.text), base: side(b), tuned: tuned[i] ? side(tuned[i]) : null }));
    }
    const tuned = transcripts.find((t) => t.label === 'tuned');
    const diff = tuned ? alignSequences(orthographicWords(transcripts[0].text), orthographicWords(tuned.text)).ops : null;
    return { transcripts, probeText, probes, diff, terms: o.terms, durationSec: samples.length / SAMPLE_RATE, encoderRuns: runner.stats.encoderRuns - before };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
