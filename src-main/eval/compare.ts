/**
 * The comparison run, model-independent: which configurations to decode (base, base + prompt,
 * tuned, tuned + prompt, and the adapter-scale sweep), in what order, and how their transcripts
 * and probes become a CompareReport. The model enters through two injected functions, so the CLI
 * and the app wire the real Whisper in and tests can use deterministic ones.
 */
import path from 'node:path';
import type { EvalClip, EvalSet } from './eval-set.ts';
import { DEFAULT_TRADE_OFF_SCALES, forgettingGuard, scoreRun, tradeOffPoint, type Normaliser, type RunSpec } from './grid.ts';
import { termScorecard, type ScorecardClip } from './scorecard.ts';
import { countPhrase, orthographicWords } from './tokenize-words.ts';
import type { CompareReport, ModelRun, ScoreMode, TermProbe, TradeOffCurve } from './types.ts';

/** How one configuration decodes: model folder, optional adapter at a scale, optional prompt. */
export type DecodeSettings = { model: string; adapter: string | null; adapterScale: number; prompt: string | null };

/** Transcribe one clip with one configuration; returns the text. */
export type TranscribeFn = (clip: EvalClip, settings: DecodeSettings) => Promise<string>;

/**
 * Teacher-force `clip.reference` under one configuration and return one TermProbe per occurrence
 * of each of `terms` in it (see `termProbesFromProbeResult` for the lead's probe output).
 */
export type ProbeFn = (clip: EvalClip, settings: DecodeSettings, terms: string[]) => Promise<TermProbe[]>;

export type CompareProgress = { label: string; done: number; total: number };

export type CompareOptions = {
  evalSet: EvalSet;
  terms: string[];
  /** Base model folder. */
  model: string;
  /** Adapter folders; each gives a "tuned" and a "tuned + prompt" row. */
  adapters?: string[];
  transcribe: TranscribeFn;
  /** Without it the scorecard has counts but no log-probs. */
  probe?: ProbeFn;
  /** Whisper's English normaliser bound to the model's normalizer.json. */
  normalise: Normaliser;
  /** Initial prompt for the "+ prompt" rows; default: the terms joined by ", "; null: no prompt rows. */
  prompt?: string | null;
  /** Adapter scales swept for the first adapter; default 0, 0.25, 0.5, 0.75, 1; [] to skip. */
  scales?: readonly number[];
  guard?: { thresholdPoints?: number; mode?: ScoreMode };
  onProgress?: (p: CompareProgress) => void;
  /** For reproducible reports in tests. */
  now?: () => Date;
};

/** The vocabulary as an initial prompt: "PyTorch, CUDA, Hugging Face". */
export function vocabularyPrompt(terms: readonly string[]): string {
  return terms.join(', ');
}

/**
 * Adapter for the lead's probe output (`src-main/whisper/probe.ts` ProbeResult): per-token top-k
 * lists plus per-term token indices → the scorecard's TermProbe. Typed structurally so that this
 * module does not load tfjs.
 */
export function termProbesFromProbeResult(result: {
  tokens: { id: number; text: string; logprob: number; top: { id: number; text: string; logprob: number }[] }[];
  terms: { term: string; tokenIndices: number[] }[];
}): TermProbe[] {
  return result.terms
    .filter((t) => t.tokenIndices.length > 0)
    .map((t) => ({
      term: t.term,
      tokens: t.tokenIndices.map((i) => ({ id: result.tokens[i].id, text: result.tokens[i].text, logprob: result.tokens[i].logprob })),
      firstTokenTop: result.tokens[t.tokenIndices[0]].top,
    }));
}

function adapterLabel(base: string, adapter: string, adapters: readonly string[]): string {
  return adapters.length > 1 ? `${base} (${path.basename(adapter)})` : base;
}

/** Run every configuration over every clip and assemble the report. */
export async function runComparison(o: CompareOptions): Promise<CompareReport> {
  const adapters = o.adapters ?? [];
  const prompt = o.prompt === undefined ? (o.terms.length > 0 ? vocabularyPrompt(o.terms) : null) : o.prompt;
  const scales = adapters.length > 0 ? (o.scales ?? DEFAULT_TRADE_OFF_SCALES) : [];
  const clips = o.evalSet.clips;
  const notes = [...o.evalSet.notes];

  const specs: RunSpec[] = [{ label: 'base', role: 'base', model: o.model, adapter: null, adapterScale: null, prompt: null }];
  if (prompt) specs.push({ label: 'base + prompt', role: 'base+prompt', model: o.model, adapter: null, adapterScale: null, prompt });
  for (const a of adapters) {
    specs.push({ label: adapterLabel('tuned', a, adapters), role: 'tuned', model: o.model, adapter: a, adapterScale: 1, prompt: null });
    if (prompt) specs.push({ label: adapterLabel('tuned + prompt', a, adapters), role: 'tuned+prompt', model: o.model, adapter: a, adapterScale: 1, prompt });
  }
  // Scales 0 and 1 are the base and tuned rows already (a LoRA at scale 0 is the base model).
  const sweep = scales.filter((s) => s !== 0 && s !== 1);
  const sweepSpecs: RunSpec[] = sweep.map((s) => ({ label: `tuned ×${s}`, role: 'tuned', model: o.model, adapter: adapters[0], adapterScale: s, prompt: null }));

  const termsIn = (c: EvalClip) => o.terms.filter((t) => countPhrase(orthographicWords(c.reference), orthographicWords(t)) > 0);
  const probed = o.probe ? clips.filter((c) => termsIn(c).length > 0) : [];
  const total = (specs.length + sweepSpecs.length) * clips.length + specs.length * probed.length;
  let done = 0;
  const tick = (label: string) => o.onProgress?.({ label, done: ++done, total });

  const settingsOf = (s: RunSpec): DecodeSettings => ({ model: s.model, adapter: s.adapter, adapterScale: s.adapterScale ?? 0, prompt: s.prompt });
  const decode = async (spec: RunSpec) => {
    const out = [];
    for (const c of clips) {
      out.push({ id: c.id, recordingId: c.recordingId ?? null, set: c.set, reference: c.reference, hypothesis: await o.transcribe(c, settingsOf(spec)) });
      tick(spec.label);
    }
    return out;
  };

  const models: ModelRun[] = [];
  const scorecardInput: { label: string; clips: ScorecardClip[] }[] = [];
  for (const spec of specs) {
    const transcribed = await decode(spec);
    models.push(scoreRun(spec, transcribed, o.normalise));
    const probes = new Map<string, TermProbe[]>();
    for (const c of probed) {
      probes.set(c.id, await o.probe!(c, settingsOf(spec), termsIn(c)));
      tick(`${spec.label} (probe)`);
    }
    scorecardInput.push({ label: spec.label, clips: transcribed.map((t) => ({ ...t, termProbes: probes.get(t.id) })) });
  }

  const mode = o.guard?.mode ?? 'normalised';
  const base = models[0];
  const tuned = models.find((m) => m.role === 'tuned');
  const guard = tuned ? forgettingGuard(base, tuned, o.guard) : null;
  if (tuned && !guard) notes.push('No general clips: the forgetting guard did not run. Record some ordinary sentences (split "general").');

  const tradeOff: TradeOffCurve[] = [];
  if (scales.length > 0 && tuned) {
    const byScale = new Map<number, ModelRun>([[0, base], [1, tuned]]);
    for (const spec of sweepSpecs) byScale.set(spec.adapterScale!, scoreRun(spec, await decode(spec), o.normalise));
    tradeOff.push({
      adapter: adapters[0],
      mode,
      points: [...scales].sort((a, b) => a - b).map((s) => tradeOffPoint(s, byScale.get(s)!, o.terms, mode)),
    });
  }

  const count = (set: string) => clips.filter((c) => c.set === set).length;
  return {
    version: 1,
    createdAt: (o.now?.() ?? new Date()).toISOString(),
    dataset: { path: o.evalSet.root, clips: clips.length, heldoutClips: count('heldout'), generalClips: count('general') },
    terms: [...o.terms],
    models,
    scorecard: termScorecard(o.terms, scorecardInput),
    guard,
    tradeOff,
    notes,
  };
}
