/**
 * Hugging Face Whisper configuration files → the dimensions and generation settings this app
 * uses (spec §2–4). Always read config.json: the HF class defaults differ from every released
 * checkpoint, so nothing structural is defaulted here. generation_config.json is older or absent
 * in many fine-tunes, so its token ids fall back to the layout implied by the vocabulary size.
 */
import { invalid } from './checkpoint-error.ts';

/** Model dimensions, in OpenAI's `ModelDimensions` names plus the MLP widths HF stores. */
export interface WhisperDims {
  nMels: number;
  nAudioCtx: number;
  nAudioState: number;
  nAudioHead: number;
  nAudioLayer: number;
  nTextCtx: number;
  nTextState: number;
  nTextHead: number;
  nTextLayer: number;
  nVocab: number;
  /** encoder_ffn_dim (4·d in every release). */
  nAudioFfn: number;
  /** decoder_ffn_dim (4·d in every release). */
  nTextFfn: number;
}

/** Token ids config.json carries (they differ between .en and multilingual checkpoints). */
export interface WhisperConfig {
  dims: WhisperDims;
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  decoderStartTokenId: number;
  /** tie_word_embeddings (true unless the file says false). */
  tieWordEmbeddings: boolean;
}

export interface GenerationConfig {
  isMultilingual: boolean;
  /** "<|en|>" → id. */
  langToId: Record<string, number>;
  taskToId: { transcribe: number; translate: number };
  decoderStartTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  noTimestampsTokenId: number;
  prevSotTokenId: number;
  /** Suppressed at every step; null when the file does not list them (then use OW's "-1"
   * default: tokenizer.nonSpeechTokens() plus the control tokens). */
  suppressTokens: number[] | null;
  /** Suppressed at the first sampled position ([220, eot] in every release). */
  beginSuppressTokens: number[];
  /** [layer, head] pairs used for word timing. */
  alignmentHeads: [number, number][];
  maxInitialTimestampIndex: number;
  maxLength: number;
}

/** Whisper's language codes in token order (OW tokenizer.LANGUAGES); v3 adds "yue" as the 100th. */
export const WHISPER_LANGUAGES = [
  'en', 'zh', 'de', 'es', 'ru', 'ko', 'fr', 'ja', 'pt', 'tr', 'pl', 'ca', 'nl', 'ar', 'sv', 'it',
  'id', 'hi', 'fi', 'vi', 'he', 'uk', 'el', 'ms', 'cs', 'ro', 'da', 'hu', 'ta', 'no', 'th', 'ur',
  'hr', 'bg', 'lt', 'la', 'mi', 'ml', 'cy', 'sk', 'te', 'fa', 'lv', 'bn', 'sr', 'az', 'sl', 'kn',
  'et', 'mk', 'br', 'eu', 'is', 'hy', 'ne', 'mn', 'bs', 'kk', 'sq', 'sw', 'gl', 'mr', 'pa', 'si',
  'km', 'sn', 'yo', 'so', 'af', 'oc', 'ka', 'be', 'tg', 'sd', 'gu', 'am', 'yi', 'lo', 'uz', 'fo',
  'ht', 'ps', 'tk', 'nn', 'mt', 'sa', 'lb', 'my', 'bo', 'tl', 'mg', 'as', 'tt', 'haw', 'ln', 'ha',
  'ba', 'jw', 'su', 'yue',
] as const;

/**
 * The special-token layout implied by the vocabulary size (OW `get_encoding` order; spec §4):
 * .en 51864, multilingual 51865 (99 languages), large-v3 51866 (100 languages).
 */
export function specialLayout(nVocab: number) {
  const isMultilingual = nVocab >= 51865;
  const numLanguages = nVocab - 51765 - (isMultilingual ? 1 : 0);
  const eot = isMultilingual ? 50257 : 50256;
  const sot = eot + 1;
  const translate = sot + 1 + numLanguages;
  return {
    isMultilingual,
    numLanguages,
    eot,
    sot,
    firstLanguage: sot + 1,
    translate,
    transcribe: translate + 1,
    sotLm: translate + 2,
    sotPrev: translate + 3,
    noSpeech: translate + 4,
    noTimestamps: translate + 5,
    timestampBegin: translate + 6,
  };
}

/**
 * Sane upper bounds for config.json, checked before anything is allocated: a config claiming
 * 1e9 decoder layers must fail here naming the field, not abort the process building a billion
 * alignment heads or layer objects. Each bound is far above every released Whisper (large-v3:
 * d_model 1280, 32 + 32 layers, 20 heads, ffn 5120, 1500 / 448 positions).
 */
export const CONFIG_BOUNDS: Record<string, number> = {
  d_model: 8192,
  encoder_layers: 128,
  decoder_layers: 128,
  encoder_attention_heads: 256,
  decoder_attention_heads: 256,
  encoder_ffn_dim: 65536,
  decoder_ffn_dim: 65536,
  // The mel front end always gives the encoder 3000 frames, i.e. 1500 positions after conv2.
  max_source_positions: 1500,
  max_target_positions: 4096,
  vocab_size: 51866,
  num_mel_bins: 128,
};
/** 4 billion parameters: 2.5 × large-v3, 16 GB as float32 — beyond that it is not a Whisper. */
export const MAX_PARAMETERS = 4e9;

function field(json: Record<string, unknown>, key: string, file: string): number {
  const v = json[key];
  if (!Number.isSafeInteger(v) || (v as number) <= 0) {
    throw invalid(file, `must be a positive integer, found ${JSON.stringify(v)}`, `field "${key}"`);
  }
  const max = CONFIG_BOUNDS[key];
  if (max !== undefined && (v as number) > max) {
    throw invalid(file, `is ${v}; at most ${max} is plausible for a Whisper model (the file is damaged or not a Whisper config)`, `field "${key}"`);
  }
  return v as number;
}

/** A token id: an integer in [0, vocabSize) — ids past the vocabulary index nothing. */
function optionalId(json: Record<string, unknown>, key: string, fallback: number, file: string, vocabSize = 1 << 20): number {
  const v = json[key];
  if (v === undefined || v === null) return fallback;
  if (!Number.isSafeInteger(v) || (v as number) < 0) {
    throw invalid(file, `must be a token id, found ${JSON.stringify(v)}`, `field "${key}"`);
  }
  if ((v as number) >= vocabSize) throw invalid(file, `is ${v}, outside the vocabulary of ${vocabSize} tokens`, `field "${key}"`);
  return v as number;
}

function idList(json: Record<string, unknown>, key: string, file: string, vocabSize: number): number[] | null {
  const v = json[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length > vocabSize || !v.every((x) => Number.isSafeInteger(x) && x >= 0 && x < vocabSize)) {
    throw invalid(file, `must be a list of token ids below ${vocabSize}`, `field "${key}"`);
  }
  return v as number[];
}

/** Parameters a checkpoint with these dims holds (weights and biases), to refuse absurd totals early. */
export function parameterCount(d: WhisperDims): number {
  const attn = (w: number) => 4 * w * w + 3 * w;
  const mlp = (w: number, f: number) => 2 * w * f + w + f;
  const enc = d.nAudioLayer * (attn(d.nAudioState) + mlp(d.nAudioState, d.nAudioFfn) + 4 * d.nAudioState);
  const dec = d.nTextLayer * (2 * attn(d.nTextState) + mlp(d.nTextState, d.nTextFfn) + 6 * d.nTextState);
  const conv = d.nAudioState * d.nMels * 3 + d.nAudioState * d.nAudioState * 3 + 2 * d.nAudioState;
  return enc + dec + conv + (d.nAudioCtx + 2) * d.nAudioState + (d.nVocab + d.nTextCtx + 2) * d.nTextState;
}

function asObject(json: unknown, file: string): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid(file, 'is not a JSON object');
  return json as Record<string, unknown>;
}

/** config.json (already parsed) → dims and token ids. `file` is used in error messages. */
export function parseWhisperConfig(json: unknown, file = 'config.json'): WhisperConfig {
  const c = asObject(json, file);
  if (c.model_type !== undefined && c.model_type !== 'whisper') {
    throw invalid(file, `model_type is ${JSON.stringify(c.model_type)}, not "whisper"`, 'field "model_type"');
  }
  const d = field(c, 'd_model', file);
  const dims: WhisperDims = {
    nMels: field(c, 'num_mel_bins', file),
    nAudioCtx: field(c, 'max_source_positions', file),
    nAudioState: d,
    nAudioHead: field(c, 'encoder_attention_heads', file),
    nAudioLayer: field(c, 'encoder_layers', file),
    nTextCtx: field(c, 'max_target_positions', file),
    nTextState: d,
    nTextHead: field(c, 'decoder_attention_heads', file),
    nTextLayer: field(c, 'decoder_layers', file),
    nVocab: field(c, 'vocab_size', file),
    nAudioFfn: c.encoder_ffn_dim === undefined ? 4 * d : field(c, 'encoder_ffn_dim', file),
    nTextFfn: c.decoder_ffn_dim === undefined ? 4 * d : field(c, 'decoder_ffn_dim', file),
  };
  if (dims.nMels !== 80 && dims.nMels !== 128) {
    throw invalid(file, `is ${dims.nMels}; Whisper uses 80 or 128 mel bins`, 'field "num_mel_bins"');
  }
  for (const key of ['encoder_attention_heads', 'decoder_attention_heads'] as const) {
    if (d % (c[key] as number) !== 0) throw invalid(file, `${c[key]} heads do not divide d_model ${d}`, `field "${key}"`);
  }
  if (dims.nVocab < 51864 || dims.nVocab > 51866) {
    throw invalid(file, `is ${dims.nVocab}; Whisper vocabularies have 51864 (.en), 51865 or 51866 (large-v3) tokens`, 'field "vocab_size"');
  }
  const params = parameterCount(dims);
  if (params > MAX_PARAMETERS) {
    throw invalid(file, `describe ${(params / 1e9).toFixed(1)} billion parameters; at most ${MAX_PARAMETERS / 1e9} billion is plausible for Whisper`, 'fields "d_model", "*_layers", "*_ffn_dim"');
  }
  const layout = specialLayout(dims.nVocab);
  if (c.tie_word_embeddings !== undefined && typeof c.tie_word_embeddings !== 'boolean') {
    throw invalid(file, 'must be true or false', 'field "tie_word_embeddings"');
  }
  return {
    dims,
    bosTokenId: optionalId(c, 'bos_token_id', layout.eot, file, dims.nVocab),
    eosTokenId: optionalId(c, 'eos_token_id', layout.eot, file, dims.nVocab),
    padTokenId: optionalId(c, 'pad_token_id', layout.eot, file, dims.nVocab),
    decoderStartTokenId: optionalId(c, 'decoder_start_token_id', layout.sot, file, dims.nVocab),
    tieWordEmbeddings: c.tie_word_embeddings !== false,
  };
}

/**
 * generation_config.json (parsed; pass undefined when the file is absent) → GenerationConfig,
 * each missing field filled from the layout of `dims.nVocab`.
 */
export function parseGenerationConfig(json: unknown, dims: WhisperDims, file = 'generation_config.json'): GenerationConfig {
  const g = json === undefined ? {} : asObject(json, file);
  const layout = specialLayout(dims.nVocab);
  if (g.is_multilingual !== undefined && g.is_multilingual !== layout.isMultilingual) {
    throw invalid(
      file,
      `says ${g.is_multilingual} but config.json vocab_size ${dims.nVocab} means ${layout.isMultilingual}`,
      'field "is_multilingual"',
    );
  }

  let langToId: Record<string, number> = {};
  if (g.lang_to_id !== undefined && g.lang_to_id !== null) {
    const raw = asObject(g.lang_to_id, file);
    if (Object.keys(raw).length > 200) throw invalid(file, `lists ${Object.keys(raw).length} languages; Whisper has 100`, 'field "lang_to_id"');
    for (const [k, v] of Object.entries(raw)) {
      if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) >= dims.nVocab) throw invalid(file, `${k} is not a token id below ${dims.nVocab}`, 'field "lang_to_id"');
      langToId[k] = v as number;
    }
  } else if (layout.isMultilingual) {
    langToId = Object.fromEntries(
      WHISPER_LANGUAGES.slice(0, layout.numLanguages).map((code, i) => [`<|${code}|>`, layout.firstLanguage + i]),
    );
  }

  let taskToId = { transcribe: layout.transcribe, translate: layout.translate };
  if (g.task_to_id !== undefined && g.task_to_id !== null) {
    const t = asObject(g.task_to_id, file);
    taskToId = {
      transcribe: optionalId(t, 'transcribe', layout.transcribe, file, dims.nVocab),
      translate: optionalId(t, 'translate', layout.translate, file, dims.nVocab),
    };
  }

  let alignmentHeads: [number, number][];
  const heads = g.alignment_heads;
  if (heads === undefined || heads === null) {
    // OW's default: every head of the last half of the decoder layers.
    alignmentHeads = [];
    for (let l = Math.floor(dims.nTextLayer / 2); l < dims.nTextLayer; l++) {
      for (let h = 0; h < dims.nTextHead; h++) alignmentHeads.push([l, h]);
    }
  } else {
    const ok =
      Array.isArray(heads) &&
      heads.length <= dims.nTextLayer * dims.nTextHead &&
      heads.every(
        (p) => Array.isArray(p) && p.length === 2 && Number.isSafeInteger(p[0]) && Number.isSafeInteger(p[1]) &&
          p[0] >= 0 && p[0] < dims.nTextLayer && p[1] >= 0 && p[1] < dims.nTextHead,
      );
    if (!ok) throw invalid(file, `must be [layer, head] pairs within ${dims.nTextLayer} layers × ${dims.nTextHead} heads`, 'field "alignment_heads"');
    alignmentHeads = (heads as [number, number][]).map(([l, h]) => [l, h]);
  }

  return {
    isMultilingual: layout.isMultilingual,
    langToId,
    taskToId,
    decoderStartTokenId: optionalId(g, 'decoder_start_token_id', layout.sot, file, dims.nVocab),
    bosTokenId: optionalId(g, 'bos_token_id', layout.eot, file, dims.nVocab),
    eosTokenId: optionalId(g, 'eos_token_id', layout.eot, file, dims.nVocab),
    padTokenId: optionalId(g, 'pad_token_id', layout.eot, file, dims.nVocab),
    noTimestampsTokenId: optionalId(g, 'no_timestamps_token_id', layout.noTimestamps, file, dims.nVocab),
    prevSotTokenId: optionalId(g, 'prev_sot_token_id', layout.sotPrev, file, dims.nVocab),
    suppressTokens: idList(g, 'suppress_tokens', file, dims.nVocab),
    beginSuppressTokens: idList(g, 'begin_suppress_tokens', file, dims.nVocab) ?? [220, layout.eot],
    alignmentHeads,
    // 1500 audio positions = 1500 timestamp steps of 20 ms.
    maxInitialTimestampIndex: optionalId(g, 'max_initial_timestamp_index', 50, file, 1501),
    maxLength: optionalId(g, 'max_length', dims.nTextCtx, file, 4097),
  };
}
