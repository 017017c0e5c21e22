/**
 * Writes a complete Hugging Face-layout Whisper folder with seeded random weights, for any
 * dimensions: config.json, generation_config.json, preprocessor_config.json, model.safetensors
 * (or shards + model.safetensors.index.json) and the tokenizer files. Tests and benchmarks use it
 * at tiny…large-v3 sizes without downloading anything; `loadCheckpoint` reads it like a real one.
 *
 * Weights are generated one tensor at a time while the file is written, so even large-v3 dims
 * (1.5 G parameters) never sit in memory at once.
 */
import { fnv1a, rng } from '../util/random.ts';
import { sinusoids } from './sinusoids.ts';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectedTensorShapes } from './checkpoint.ts';
import { specialLayout, WHISPER_LANGUAGES } from './config.ts';
import type { WhisperDims } from './config.ts';
import { tensorBytes, writeSafetensors } from './safetensors.ts';
import type { WritableDtype, WritableTensor } from './safetensors.ts';
import { WhisperTokenizer } from './tokenizer.ts';

function preset(d: number, heads: number, layers: number, nVocab = 51865, nMels = 80): WhisperDims {
  return {
    nMels, nAudioCtx: 1500, nAudioState: d, nAudioHead: heads, nAudioLayer: layers, nTextCtx: 448,
    nTextState: d, nTextHead: heads, nTextLayer: layers, nVocab, nAudioFfn: 4 * d, nTextFfn: 4 * d,
  };
}

/** Released model dims (spec §2), plus "micro": the 64-wide English-only reference fixture. */
export const WHISPER_PRESETS = {
  micro: preset(64, 2, 2, 51864),
  tiny: preset(384, 6, 4),
  base: preset(512, 8, 6),
  small: preset(768, 12, 12),
  medium: preset(1024, 16, 24),
  'large-v3': preset(1280, 20, 32, 51866, 128),
} as const satisfies Record<string, WhisperDims>;
export type WhisperPreset = keyof typeof WHISPER_PRESETS;

export interface RandomCheckpointOptions {
  /** Overrides on top of `preset` (default "micro"). */
  dims?: Partial<WhisperDims>;
  preset?: WhisperPreset;
  dtype?: WritableDtype;
  /** Number of safetensors shards; 1 (default) writes model.safetensors. */
  shards?: number;
  /** Store proj_out.weight (a separate random matrix) instead of leaving it tied. */
  storeProjOut?: boolean;
  nMels?: 80 | 128;
  /** Vocabulary layout when dims.nVocab is not given: 51864 (false), 51865, or 51866 with 128 mels. */
  multilingual?: boolean;
  /** Folder with the English-only tokenizer files (tokenizer.json, tokenizer_config.json, …). */
  tokenizerDir: string;
  seed?: number;
}

/** Number of parameters (proj_out counted only when stored). */
export function parameterCount(dims: WhisperDims, storeProjOut = false): number {
  let n = 0;
  for (const [name, shape] of expectedTensorShapes(dims)) {
    if (name !== 'proj_out.weight' || storeProjOut) n += shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

export function resolveDims(opts: Omit<RandomCheckpointOptions, 'tokenizerDir'>): WhisperDims {
  const base: WhisperDims = { ...WHISPER_PRESETS[opts.preset ?? 'micro'] };
  const o = opts.dims ?? {};
  const d = o.nAudioState ?? o.nTextState ?? base.nAudioState;
  const dims: WhisperDims = { ...base, nAudioFfn: 4 * d, nTextFfn: 4 * d, ...o, nAudioState: d, nTextState: d };
  if (opts.nMels) dims.nMels = opts.nMels;
  if (o.nVocab === undefined && opts.multilingual !== undefined) {
    dims.nVocab = opts.multilingual ? (dims.nMels === 128 ? 51866 : 51865) : 51864;
  }
  for (const [k, v] of Object.entries(dims)) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`dims.${k} must be a positive integer, got ${v}`);
  }
  if (d % dims.nAudioHead || d % dims.nTextHead) throw new Error(`heads must divide the width ${d}`);
  if (dims.nVocab < 51864 || dims.nVocab > 51866) throw new Error(`nVocab must be 51864, 51865 or 51866, got ${dims.nVocab}`);
  return dims;
}

function normal(n: number, std: number, mean: number, seed: number): Float32Array {
  const rand = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller: two normals per pair of uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - rand())) * std;
    const th = 2 * Math.PI * rand();
    out[i] = mean + r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = mean + r * Math.sin(th);
  }
  return out;
}

/** What a freshly initialised parameter of this name looks like (HF `_init_weights`-ish). */
function initial(name: string, shape: number[], seed: number): () => Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const s = (seed ^ fnv1a(name)) >>> 0;
  if (name === 'model.encoder.embed_positions.weight') return () => sinusoids(shape[0], shape[1]);
  if (/layer_norm\.weight$/.test(name)) return () => normal(n, 0.02, 1, s);
  if (/\.bias$/.test(name)) return () => normal(n, 0.01, 0, s);
  return () => normal(n, 0.02, 0, s);
}

/**
 * A multilingual-LAYOUT tokenizer.json made from the English one. The real multilingual
 * tokenizer (a different BPE) cannot be downloaded here, so this keeps the GPT-2 BPE and only
 * re-lays the special tokens at the multilingual ids (spec §4): an empty token at 50256 (as
 * multilingual.tiktoken has), <|endoftext|> 50257, <|startoftranscript|> 50258, the languages
 * from 50259, then translate, transcribe, startoflm, startofprev, nospeech, notimestamps and the
 * 1501 timestamps. Token ids of text therefore match the English model, not real multilingual.
 */
function multilingualLayout(english: Record<string, unknown>, nVocab: number): Record<string, unknown> {
  const L = specialLayout(nVocab);
  const names = [
    '<|endoftext|>', '<|startoftranscript|>',
    ...WHISPER_LANGUAGES.slice(0, L.numLanguages).map((c) => `<|${c}|>`),
    '<|translate|>', '<|transcribe|>', '<|startoflm|>', '<|startofprev|>', '<|nospeech|>', '<|notimestamps|>',
    ...Array.from({ length: 1501 }, (_, i) => `<|${(i * 0.02).toFixed(2)}|>`),
  ];
  const added = names.map((content, i) => ({
    id: L.eot + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  if (added.length + L.eot !== nVocab) throw new Error(`internal: layout gives ${added.length + L.eot} ids, not ${nVocab}`);
  const model = english.model as { vocab: Record<string, number> };
  return { ...english, added_tokens: added, model: { ...model, vocab: { ...model.vocab, '': 50256 } } };
}

async function writeTokenizer(dir: string, tokenizerDir: string, nVocab: number): Promise<WhisperTokenizer> {
  const src = join(tokenizerDir, 'tokenizer.json');
  if (!existsSync(src)) throw new Error(`${src} is missing: writeRandomCheckpoint needs the English tokenizer files`);
  const copies = ['tokenizer_config.json', 'special_tokens_map.json', 'merges.txt', 'normalizer.json'];
  for (const f of copies) if (existsSync(join(tokenizerDir, f))) await copyFile(join(tokenizerDir, f), join(dir, f));
  const english = JSON.parse(await readFile(src, 'utf8')) as Record<string, unknown>;
  if (nVocab === 51864) {
    for (const f of ['tokenizer.json', 'vocab.json', 'added_tokens.json']) {
      if (existsSync(join(tokenizerDir, f))) await copyFile(join(tokenizerDir, f), join(dir, f));
    }
  } else {
    const multi = multilingualLayout(english, nVocab);
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(multi));
    const added = multi.added_tokens as { id: number; content: string }[];
    const vocab = { ...(multi.model as { vocab: Record<string, number> }).vocab, '<|endoftext|>': 50257 };
    await writeFile(join(dir, 'vocab.json'), JSON.stringify(vocab));
    await writeFile(join(dir, 'added_tokens.json'), JSON.stringify(Object.fromEntries(added.slice(1).map((t) => [t.content, t.id]))));
  }
  const tokenizerConfig = existsSync(join(dir, 'tokenizer_config.json'))
    ? JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'))
    : {};
  return WhisperTokenizer.fromJson(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')), tokenizerConfig);
}

function configJson(dims: WhisperDims, dtype: WritableDtype, tied: boolean, suppress: number[]): object {
  const L = specialLayout(dims.nVocab);
  return {
    _name_or_path: 'random weights (vocab-tuner writeRandomCheckpoint)',
    architectures: ['WhisperForConditionalGeneration'],
    model_type: 'whisper',
    activation_function: 'gelu',
    d_model: dims.nAudioState,
    encoder_layers: dims.nAudioLayer,
    encoder_attention_heads: dims.nAudioHead,
    encoder_ffn_dim: dims.nAudioFfn,
    decoder_layers: dims.nTextLayer,
    decoder_attention_heads: dims.nTextHead,
    decoder_ffn_dim: dims.nTextFfn,
    num_mel_bins: dims.nMels,
    max_source_positions: dims.nAudioCtx,
    max_target_positions: dims.nTextCtx,
    vocab_size: dims.nVocab,
    num_hidden_layers: dims.nAudioLayer,
    scale_embedding: false,
    tie_word_embeddings: tied,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
    bos_token_id: L.eot,
    eos_token_id: L.eot,
    pad_token_id: L.eot,
    decoder_start_token_id: L.sot,
    begin_suppress_tokens: [220, L.eot],
    suppress_tokens: suppress,
    use_cache: true,
  };
}

function generationJson(dims: WhisperDims, suppress: number[]): object {
  const L = specialLayout(dims.nVocab);
  const heads: [number, number][] = [];
  for (let l = Math.floor(dims.nTextLayer / 2); l < dims.nTextLayer; l++) for (let h = 0; h < dims.nTextHead; h++) heads.push([l, h]);
  const g: Record<string, unknown> = {
    alignment_heads: heads,
    decoder_start_token_id: L.sot,
    bos_token_id: L.eot,
    eos_token_id: L.eot,
    pad_token_id: L.eot,
    begin_suppress_tokens: [220, L.eot],
    suppress_tokens: suppress,
    is_multilingual: L.isMultilingual,
    no_timestamps_token_id: L.noTimestamps,
    prev_sot_token_id: L.sotPrev,
    max_initial_timestamp_index: 50,
    max_length: dims.nTextCtx,
    return_timestamps: false,
  };
  if (L.isMultilingual) {
    g.lang_to_id = Object.fromEntries(WHISPER_LANGUAGES.slice(0, L.numLanguages).map((c, i) => [`<|${c}|>`, L.firstLanguage + i]));
    g.task_to_id = { transcribe: L.transcribe, translate: L.translate };
    g.forced_decoder_ids = [[1, null], [2, L.transcribe]];
  } else {
    g.forced_decoder_ids = [[1, L.noTimestamps]];
  }
  return g;
}

/**
 * Writes the folder and returns what was written. Same seed and options → identical bytes.
 * Shape shows: dims as resolved, files written (relative), parameter count.
 */
export async function writeRandomCheckpoint(
  dir: string,
  opts: RandomCheckpointOptions,
): Promise<{ dims: WhisperDims; files: string[]; parameters: number }> {
  const dims = resolveDims(opts);
  const dtype = opts.dtype ?? 'F32';
  const shards = opts.shards ?? 1;
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(shards) || shards < 1) throw new Error(`shards must be a positive integer, got ${shards}`);
  await mkdir(dir, { recursive: true });

  const tokenizer = await writeTokenizer(dir, opts.tokenizerDir, dims.nVocab);
  const suppress = tokenizer.nonSpeechTokens();
  const json = (o: object) => JSON.stringify(o, null, 2);
  await writeFile(join(dir, 'config.json'), json(configJson(dims, dtype, !opts.storeProjOut, suppress)));
  await writeFile(join(dir, 'generation_config.json'), json(generationJson(dims, suppress)));
  await writeFile(join(dir, 'preprocessor_config.json'), json({
    feature_extractor_type: 'WhisperFeatureExtractor', feature_size: dims.nMels, sampling_rate: 16000,
    hop_length: 160, n_fft: 400, chunk_length: 30, n_samples: 480000, nb_max_frames: 3000,
    padding_side: 'right', padding_value: 0.0, return_attention_mask: false, processor_class: 'WhisperProcessor',
  }));

  const tensors: [string, WritableTensor][] = [];
  for (const [name, shape] of expectedTensorShapes(dims)) {
    if (name === 'proj_out.weight' && !opts.storeProjOut) continue;
    tensors.push([name, { shape, dtype, data: initial(name, shape, seed) }]);
  }
  const files: string[] = [];
  if (shards === 1) {
    await writeSafetensors(join(dir, 'model.safetensors'), new Map(tensors));
    files.push('model.safetensors');
  } else {
    // Contiguous runs of roughly equal bytes, as transformers' max_shard_size splitting does,
    // but never an empty shard (one big embedding can outweigh everything else at small dims).
    if (tensors.length < shards) throw new Error(`cannot split ${tensors.length} tensors into ${shards} shards`);
    const total = tensors.reduce((a, [, t]) => a + tensorBytes(t), 0);
    const target = total / shards;
    const groups: [string, WritableTensor][][] = [[]];
    let current = 0;
    tensors.forEach((entry, i) => {
      const bytes = tensorBytes(entry[1]);
      const tensorsLeft = tensors.length - i;
      const groupsToOpen = shards - groups.length;
      if (groups[groups.length - 1].length > 0 && groupsToOpen > 0 && (current + bytes > target || tensorsLeft <= groupsToOpen)) {
        groups.push([]);
        current = 0;
      }
      groups[groups.length - 1].push(entry);
      current += bytes;
    });
    const weightMap: Record<string, string> = {};
    for (let i = 0; i < shards; i++) {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      await writeSafetensors(join(dir, file), new Map(groups[i]));
      for (const [name] of groups[i]) weightMap[name] = file;
      files.push(file);
    }
    const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFile(join(dir, 'model.safetensors.index.json'), json({ metadata: { total_size: total }, weight_map: sorted }));
    files.push('model.safetensors.index.json');
  }
  return { dims, files, parameters: parameterCount(dims, opts.storeProjOut) };
}
