/**
 * The before/after comparison as data: what `vocab-tuner compare --json` prints, what
 * `renderReport` turns into HTML and what the app's Compare page shows. Plain JSON (no Maps, no
 * bigints, no undefined-vs-missing distinctions: absent values are `null`).
 */
import type { AlignOp, ErrorCounts } from './align.ts';

export type { AlignOp, ErrorCounts };

/**
 * Scoring modes. `orthographic`: words as written, case and spelling kept, only edge punctuation
 * ignored (tokenize-words.ts). `normalised`: Whisper's EnglishTextNormalizer first (comparable
 * with published Whisper numbers, but blind to case and British spelling).
 */
export type ScoreMode = 'orthographic' | 'normalised';

/**
 * Which evaluation set a clip belongs to. `heldout`: the user's clips not used for training
 * (they carry the terms). `general`: ordinary speech without the terms, the forgetting guard's set.
 */
export type ClipSet = 'heldout' | 'general';

/** What a compared model is, so the UI can lay out the base/prompt/tuned grid. */
export type ModelRole = 'base' | 'base+prompt' | 'tuned' | 'tuned+prompt';

/** WER and CER of a group of clips: rates are corpus-level, Σ(S+D+I)/ΣN (align.ts). */
export type ScoreTotals = {
  clips: number;
  wer: number;
  cer: number;
  words: ErrorCounts;
  chars: ErrorCounts;
};

/** One clip scored in one mode; `reference`/`hypothesis` are the texts the mode compared. */
export type ClipScore = {
  reference: string;
  hypothesis: string;
  wer: number;
  cer: number;
  words: ErrorCounts;
  chars: ErrorCounts;
  /** Word diff, reference order; see AlignOp. */
  diff: AlignOp[];
};

export type ClipOutcome = {
  clipId: string;
  /** The app's recording the clip was exported from (null for a dataset made elsewhere): the UI plays and links clips by it. */
  recordingId: number | null;
  set: ClipSet;
  /** The raw texts: reference from the dataset, hypothesis from the model. */
  reference: string;
  hypothesis: string;
  orthographic: ClipScore;
  normalised: ClipScore;
};

/** One model configuration's results over every clip. */
export type ModelRun = {
  /** Unique, human-readable, e.g. "base", "tuned + prompt", "tuned (adapter-2)". */
  label: string;
  role: ModelRole;
  /** Model folder. */
  model: string;
  /** Adapter folder, or null for the base model. */
  adapter: string | null;
  /** LoRA scale the adapter was applied at (1 = as trained; null without adapter). */
  adapterScale: number | null;
  /** Initial prompt given to the decoder, or null. */
  prompt: string | null;
  clips: ClipOutcome[];
  /** Totals per set and for all clips, in both modes. A set without clips has clips: 0, wer: 0. */
  totals: Record<ClipSet | 'all', Record<ScoreMode, ScoreTotals>>;
};

/** One token with its teacher-forced log-probability (natural log). */
export type TokenLogprob = { id: number; text: string; logprob: number };

/**
 * The model's view of one occurrence of a term in a reference, teacher-forced: the term's own
 * tokens with their log-probs, and the top-k tokens (best first) at the term's first token
 * position — where " pie" competes with " Py".
 */
export type TermProbe = { term: string; tokens: TokenLogprob[]; firstTokenTop: TokenLogprob[] };

/** A competing token at a term's first position, aggregated over occurrences. */
export type Competitor = {
  id: number;
  text: string;
  /** Mean log-prob over the occurrences where it was in the top-k. */
  meanLogprob: number;
  /** In how many occurrences it was in the top-k. */
  count: number;
};

/** A vocabulary term scored for one model. Always orthographic (case and spelling count). */
export type TermScore = {
  term: string;
  /** ModelRun.label. */
  model: string;
  /** Occurrences of the term in the references, over all clips. */
  occurrences: number;
  /** Clips whose reference contains the term. */
  clipsWithTerm: number;
  /** Σ over clips of min(occurrences in reference, occurrences in hypothesis). */
  hits: number;
  /** Exact-spelling recall = hits / occurrences; null when the term never occurs. */
  recall: number | null;
  /** Clips whose reference lacks the term (the confusable negatives). */
  negativeClips: number;
  /** Occurrences of the term in hypotheses of negative clips. */
  falseInsertions: number;
  /** Negative clips with at least one false insertion. */
  clipsWithFalseInsertion: number;
  /** Mean teacher-forced log-prob over all the term's tokens in all probed occurrences; null if not probed. */
  meanLogprob: number | null;
  /** Number of term tokens behind meanLogprob. */
  probedTokens: number;
  /** Probed occurrences. */
  probedOccurrences: number;
  /** The term's first token and its mean log-prob at that position; null if not probed. */
  firstToken: { id: number; text: string; meanLogprob: number } | null;
  /** Other tokens in the top-k at the first position, most frequent first (ties: more probable first), at most 3. */
  competitors: Competitor[];
  /** competitors[0] or null. */
  topCompetitor: Competitor | null;
};

/**
 * The forgetting guard: general-set WER drift from base to tuned, in percentage points
 * (tuned WER − base WER) × 100. Flagged when the drift in `mode` exceeds the threshold.
 */
export type ForgettingGuard = {
  baseLabel: string;
  tunedLabel: string;
  /** The mode that decides `flagged`. */
  mode: ScoreMode;
  thresholdPoints: number;
  generalClips: number;
  baseWer: Record<ScoreMode, number>;
  tunedWer: Record<ScoreMode, number>;
  driftPoints: Record<ScoreMode, number>;
  flagged: boolean;
};

/** One point of the adapter-scale trade-off: term accuracy (pooled recall) vs general WER. */
export type TradeOffPoint = {
  scale: number;
  /** Σ hits / Σ occurrences over all terms and held-out + general clips; null without term occurrences. */
  termAccuracy: number | null;
  /** General-set WER in the curve's mode; null without general clips. */
  generalWer: number | null;
};

export type TradeOffCurve = { adapter: string; mode: ScoreMode; points: TradeOffPoint[] };

/** Everything `compare` produces. */
export type CompareReport = {
  /** Bumped when a field changes meaning. */
  version: 1;
  /** ISO 8601. */
  createdAt: string;
  dataset: { path: string; clips: number; heldoutClips: number; generalClips: number };
  terms: string[];
  /** Orthographic for the scorecard, always; the grid shows both. */
  models: ModelRun[];
  /** One entry per term × model, terms in input order, models in `models` order. */
  scorecard: TermScore[];
  /** null when there is no tuned model or no general clip. */
  guard: ForgettingGuard | null;
  /** One curve per adapter that was swept (usually the first); empty when none was. */
  tradeOff: TradeOffCurve[];
  /** Human-readable caveats (e.g. "no general clips: the forgetting guard did not run"). */
  notes: string[];
};
