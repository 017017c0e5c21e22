/**
 * @file The Whisper checkpoints the app offers by name, with approximate download sizes and
 * dimensions. Any other Hub repo id still works (`models download org/name`); this list only
 * drives the model picker and `vocab-tuner models list`.
 *
 * Sizes are the Hub's `model.safetensors` plus tokenizer files, rounded (openai/* repos as of
 * 2025; float32 except large-v3 and large-v3-turbo, which the Hub stores in float16). They are
 * for display and the disk-space hint only; the download itself uses the sizes the Hub reports.
 */

/** Architecture numbers for one family (config.json: d_model, *_layers, *_attention_heads). */
export type KnownDims = {
  nMels: 80 | 128;
  width: number;
  heads: number;
  encoderLayers: number;
  decoderLayers: number;
  nVocab: number;
};

export type KnownModel = {
  repo: string;
  /** Short name shown in lists, e.g. "tiny.en". */
  name: string;
  /** Approximate bytes fetched by `models download` (weights + tokenizer files). */
  sizeBytes: number;
  /** Parameter count, human readable. */
  params: string;
  multilingual: boolean;
  dims: KnownDims;
};

const MB = 1_000_000;

const TINY: Omit<KnownDims, 'nVocab'> = { nMels: 80, width: 384, heads: 6, encoderLayers: 4, decoderLayers: 4 };
const BASE: Omit<KnownDims, 'nVocab'> = { nMels: 80, width: 512, heads: 8, encoderLayers: 6, decoderLayers: 6 };
const SMALL: Omit<KnownDims, 'nVocab'> = { nMels: 80, width: 768, heads: 12, encoderLayers: 12, decoderLayers: 12 };
const MEDIUM: Omit<KnownDims, 'nVocab'> = { nMels: 80, width: 1024, heads: 16, encoderLayers: 24, decoderLayers: 24 };

// English-only models have 51864 tokens, multilingual 51865, and v3 adds Cantonese (51866).
const EN = 51864;
const MULTI = 51865;
const V3 = 51866;

export const KNOWN_MODELS: readonly KnownModel[] = [
  { repo: 'openai/whisper-tiny.en', name: 'tiny.en', sizeBytes: 154 * MB, params: '39M', multilingual: false, dims: { ...TINY, nVocab: EN } },
  { repo: 'openai/whisper-tiny', name: 'tiny', sizeBytes: 154 * MB, params: '39M', multilingual: true, dims: { ...TINY, nVocab: MULTI } },
  { repo: 'openai/whisper-base.en', name: 'base.en', sizeBytes: 293 * MB, params: '74M', multilingual: false, dims: { ...BASE, nVocab: EN } },
  { repo: 'openai/whisper-base', name: 'base', sizeBytes: 293 * MB, params: '74M', multilingual: true, dims: { ...BASE, nVocab: MULTI } },
  { repo: 'openai/whisper-small.en', name: 'small.en', sizeBytes: 970 * MB, params: '244M', multilingual: false, dims: { ...SMALL, nVocab: EN } },
  { repo: 'openai/whisper-small', name: 'small', sizeBytes: 970 * MB, params: '244M', multilingual: true, dims: { ...SMALL, nVocab: MULTI } },
  { repo: 'openai/whisper-medium.en', name: 'medium.en', sizeBytes: 3060 * MB, params: '769M', multilingual: false, dims: { ...MEDIUM, nVocab: EN } },
  { repo: 'openai/whisper-medium', name: 'medium', sizeBytes: 3060 * MB, params: '769M', multilingual: true, dims: { ...MEDIUM, nVocab: MULTI } },
  {
    repo: 'openai/whisper-large-v3',
    name: 'large-v3',
    sizeBytes: 3090 * MB,
    params: '1550M',
    multilingual: true,
    dims: { nMels: 128, width: 1280, heads: 20, encoderLayers: 32, decoderLayers: 32, nVocab: V3 },
  },
  {
    repo: 'openai/whisper-large-v3-turbo',
    name: 'large-v3-turbo',
    sizeBytes: 1620 * MB,
    params: '809M',
    multilingual: true,
    // Turbo keeps the large-v3 encoder and prunes the decoder to 4 layers.
    dims: { nMels: 128, width: 1280, heads: 20, encoderLayers: 32, decoderLayers: 4, nVocab: V3 },
  },
];

/** Looks a model up by repo id ("openai/whisper-base.en") or short name ("base.en"). */
export function findKnownModel(idOrName: string): KnownModel | undefined {
  return KNOWN_MODELS.find((m) => m.repo === idOrName || m.name === idOrName);
}

/** Expands a short name to its repo id; anything else is returned unchanged (any Hub repo works). */
export function resolveRepoId(idOrName: string): string {
  return findKnownModel(idOrName)?.repo ?? idOrName;
}
