/**
 * The comparison grid: each model configuration (base, base + prompt, tuned, tuned + prompt, or
 * any other labelled run) scored on every clip in both modes, totals per set, the forgetting
 * guard on the general set, and the adapter-scale trade-off points.
 */
import { alignChars, alignSequences, countsOf, errorRate, sumCounts } from './align.ts';
import { pooledTermAccuracy, scoreTerms } from './scorecard.ts';
import { orthographicWords } from './tokenize-words.ts';
import type { ClipOutcome, ClipScore, ClipSet, ForgettingGuard, ModelRun, ScoreMode, ScoreTotals, TradeOffPoint } from './types.ts';

/** A transcribed clip: the dataset's reference and one model's hypothesis. */
export type TranscribedClip = { id: string; recordingId?: number | null; set: ClipSet; reference: string; hypothesis: string };

/** Who produced the hypotheses: ModelRun without its results. */
export type RunSpec = Pick<ModelRun, 'label' | 'role' | 'model' | 'adapter' | 'adapterScale' | 'prompt'>;

/** Text → normalised text (Whisper's EnglishTextNormalizer bound to a spelling map). */
export type Normaliser = (text: string) => string;

export const DEFAULT_GUARD_THRESHOLD_POINTS = 1.0;
export const DEFAULT_TRADE_OFF_SCALES = [0, 0.25, 0.5, 0.75, 1] as const;

function scoreWords(ref: string[], hyp: string[]): ClipScore {
  const words = alignSequences(ref, hyp);
  const chars = alignChars(ref, hyp);
  return {
    reference: ref.join(' '),
    hypothesis: hyp.join(' '),
    wer: words.errorRate,
    cer: chars.errorRate,
    words: countsOf(words),
    chars: countsOf(chars),
    diff: words.ops,
  };
}

const splitNormalised = (s: string): string[] => s.split(' ').filter((w) => w.length > 0);

/** Score one clip in both modes. */
export function scoreClip(clip: TranscribedClip, normalise: Normaliser): ClipOutcome {
  return {
    clipId: clip.id,
    recordingId: clip.recordingId ?? null,
    set: clip.set,
    reference: clip.reference,
    hypothesis: clip.hypothesis,
    orthographic: scoreWords(orthographicWords(clip.reference), orthographicWords(clip.hypothesis)),
    normalised: scoreWords(splitNormalised(normalise(clip.reference)), splitNormalised(normalise(clip.hypothesis))),
  };
}

/** Corpus totals of some clips in one mode. */
export function totalsOf(clips: readonly ClipOutcome[], mode: ScoreMode): ScoreTotals {
  const words = sumCounts(clips.map((c) => c[mode].words));
  const chars = sumCounts(clips.map((c) => c[mode].chars));
  return { clips: clips.length, wer: errorRate(words), cer: errorRate(chars), words, chars };
}

/** Score a model configuration over its transcribed clips: per clip and per set, both modes. */
export function scoreRun(spec: RunSpec, clips: readonly TranscribedClip[], normalise: Normaliser): ModelRun {
  const outcomes = clips.map((c) => scoreClip(c, normalise));
  const group = (set: ClipSet | 'all') => {
    const cs = set === 'all' ? outcomes : outcomes.filter((c) => c.set === set);
    return { orthographic: totalsOf(cs, 'orthographic'), normalised: totalsOf(cs, 'normalised') };
  };
  return { ...spec, clips: outcomes, totals: { heldout: group('heldout'), general: group('general'), all: group('all') } };
}

/**
 * General-set WER drift base → tuned in points; flagged when the drift in `mode` is above the
 * threshold. The default mode is normalised: the guard asks "does it still understand ordinary
 * English", and case or British spelling on general sentences is not forgetting. Null when the
 * general set is empty.
 */
export function forgettingGuard(
  base: ModelRun,
  tuned: ModelRun,
  opts: { thresholdPoints?: number; mode?: ScoreMode } = {},
): ForgettingGuard | null {
  const n = base.totals.general.normalised.clips;
  if (n === 0 || tuned.totals.general.normalised.clips === 0) return null;
  const mode = opts.mode ?? 'normalised';
  const thresholdPoints = opts.thresholdPoints ?? DEFAULT_GUARD_THRESHOLD_POINTS;
  const wer = (r: ModelRun) => ({ orthographic: r.totals.general.orthographic.wer, normalised: r.totals.general.normalised.wer });
  const baseWer = wer(base);
  const tunedWer = wer(tuned);
  // rounded to 1e-9 so that 0.1 + 0.2 style noise cannot flag a drift that equals the threshold
  const points = (m: ScoreMode) => Math.round((tunedWer[m] - baseWer[m]) * 100 * 1e9) / 1e9;
  const driftPoints = { orthographic: points('orthographic'), normalised: points('normalised') };
  return {
    baseLabel: base.label,
    tunedLabel: tuned.label,
    mode,
    thresholdPoints,
    generalClips: n,
    baseWer,
    tunedWer,
    driftPoints,
    flagged: driftPoints[mode] > thresholdPoints,
  };
}

/**
 * One trade-off point from a run at some adapter scale: pooled exact-spelling term accuracy over
 * all its clips, and its general-set WER in `mode`.
 */
export function tradeOffPoint(scale: number, run: ModelRun, terms: readonly string[], mode: ScoreMode = 'normalised'): TradeOffPoint {
  const scores = scoreTerms(terms, run.label, run.clips.map((c) => ({ id: c.clipId, reference: c.reference, hypothesis: c.hypothesis })));
  const general = run.totals.general[mode];
  return { scale, termAccuracy: pooledTermAccuracy(scores), generalWer: general.clips > 0 ? general.wer : null };
}
