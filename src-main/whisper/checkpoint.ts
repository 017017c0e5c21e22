/**
 * Loads a Whisper checkpoint folder in the Hugging Face layout (as `openai/whisper-tiny.en` on the
 * Hub): config.json, generation_config.json, preprocessor_config.json, model.safetensors or
 * model.safetensors.index.json + shards, and the tokenizer files. Everything is cross-checked
 * before any weight is used, so a damaged download fails here with the file and tensor named,
 * not later with a shape error deep inside the model.
 */
import { stat } from 'node:fs/promises';
import { kindOf, readRegularText } from '../util/user-files.ts';
import { join, resolve } from 'node:path';
import { CheckpointError, invalid } from './checkpoint-error.ts';
import { parseGenerationConfig, parseWhisperConfig } from './config.ts';
import type { GenerationConfig, WhisperConfig, WhisperDims } from './config.ts';
import { readSafetensors, readSafetensorsHeader } from './safetensors.ts';
import type { SafetensorsDtype } from './safetensors.ts';
import { WhisperTokenizer } from './tokenizer.ts';

export { CheckpointError } from './checkpoint-error.ts';

export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
  /** How it was stored on disk (the data is float32 regardless). */
  dtype: SafetensorsDtype;
}

export interface Checkpoint {
  dir: string;
  dims: WhisperDims;
  config: WhisperConfig;
  generation: GenerationConfig;
  /** HF tensor names → float32 data. proj_out.weight only when the file stores it (else tied). */
  weights: Map<string, CheckpointTensor>;
  tokenizer: WhisperTokenizer;
}

/** Tensors that may be absent: the output projection (tied to embed_tokens) and the encoder's
 * fixed sinusoids (some exports leave them out; they are a pure function of the dims). */
export const OPTIONAL_TENSORS = new Set(['proj_out.weight', 'model.encoder.embed_positions.weight']);

/**
 * Every tensor a checkpoint with these dims holds, with its PyTorch shape (spec §3): conv
 * [out, in, k], linear [out, in], embedding [num, d]. Includes the optional ones above.
 */
export function expectedTensorShapes(dims: WhisperDims): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const d = dims.nAudioState;
  const t = dims.nTextState;
  const attention = (prefix: string, w: number) => {
    for (const p of ['q_proj', 'v_proj', 'out_proj']) {
      m.set(`${prefix}.${p}.weight`, [w, w]);
      m.set(`${prefix}.${p}.bias`, [w]);
    }
    m.set(`${prefix}.k_proj.weight`, [w, w]); // the key projection has no bias
  };
  const norm = (prefix: string, w: number) => {
    m.set(`${prefix}.weight`, [w]);
    m.set(`${prefix}.bias`, [w]);
  };
  const mlp = (prefix: string, w: number, ffn: number) => {
    m.set(`${prefix}.fc1.weight`, [ffn, w]);
    m.set(`${prefix}.fc1.bias`, [ffn]);
    m.set(`${prefix}.fc2.weight`, [w, ffn]);
    m.set(`${prefix}.fc2.bias`, [w]);
  };

  m.set('model.encoder.conv1.weight', [d, dims.nMels, 3]);
  m.set('model.encoder.conv1.bias', [d]);
  m.set('model.encoder.conv2.weight', [d, d, 3]);
  m.set('model.encoder.conv2.bias', [d]);
  m.set('model.encoder.embed_positions.weight', [dims.nAudioCtx, d]);
  for (let i = 0; i < dims.nAudioLayer; i++) {
    const p = `model.encoder.layers.${i}`;
    attention(`${p}.self_attn`, d);
    norm(`${p}.self_attn_layer_norm`, d);
    mlp(p, d, dims.nAudioFfn);
    norm(`${p}.final_layer_norm`, d);
  }
  norm('model.encoder.layer_norm', d);

  m.set('model.decoder.embed_tokens.weight', [dims.nVocab, t]);
  m.set('model.decoder.embed_positions.weight', [dims.nTextCtx, t]);
  for (let i = 0; i < dims.nTextLayer; i++) {
    const p = `model.decoder.layers.${i}`;
    attention(`${p}.self_attn`, t);
    norm(`${p}.self_attn_layer_norm`, t);
    attention(`${p}.encoder_attn`, t);
    norm(`${p}.encoder_attn_layer_norm`, t);
    mlp(p, t, dims.nTextFfn);
    norm(`${p}.final_layer_norm`, t);
  }
  norm('model.decoder.layer_norm', t);
  m.set('proj_out.weight', [dims.nVocab, t]);
  return m;
}

async function readJson(file: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    // Regular files only: a FIFO would hang the load, /dev/zero behind a link would stream forever.
    text = readRegularText(file, { what: 'model config file', maxBytes: 16e6 });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'NOT_FOUND' && !required) return undefined;
    throw invalid(file, code === 'NOT_FOUND' ? 'is missing' : `cannot be read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalid(file, `is not valid JSON (${(e as Error).message})`);
  }
}

/** Which safetensors files hold which tensors: a single file or an index with shards. */
async function weightFiles(dir: string): Promise<Map<string, string[]>> {
  const single = join(dir, 'model.safetensors');
  const indexFile = join(dir, 'model.safetensors.index.json');
  // Present and a regular file; present but a FIFO/device/socket is an error, not "missing".
  const exists = async (p: string) => {
    const st = await stat(p).catch(() => undefined);
    if (st && !st.isFile()) throw invalid(p, `is ${kindOf(st)}, not a regular file`);
    return st !== undefined;
  };
  if (await exists(single)) {
    const header = await readSafetensorsHeader(single);
    return new Map([[single, header.tensors.map((t) => t.name)]]);
  }
  if (!(await exists(indexFile))) {
    if (await exists(join(dir, 'pytorch_model.bin'))) {
      throw invalid(join(dir, 'pytorch_model.bin'), 'is a PyTorch pickle, which this app does not load; use a checkpoint with model.safetensors');
    }
    throw invalid(dir, 'has neither model.safetensors nor model.safetensors.index.json');
  }
  const index = (await readJson(indexFile, true)) as { weight_map?: unknown };
  const map = index?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw invalid(indexFile, 'has no "weight_map" object', 'field "weight_map"');
  }
  const byFile = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard.startsWith('.')) {
      throw invalid(indexFile, `maps to ${JSON.stringify(shard)}, not a file name in the folder`, `tensor "${name}"`);
    }
    const p = join(dir, shard);
    if (!byFile.has(p)) byFile.set(p, []);
    byFile.get(p)!.push(name);
  }
  // Each shard must really hold what the index says it does.
  for (const [file, names] of byFile) {
    if (!(await exists(file))) throw invalid(file, 'is missing (listed in model.safetensors.index.json)');
    const held = new Set((await readSafetensorsHeader(file)).tensors.map((t) => t.name));
    const absent = names.find((n) => !held.has(n));
    if (absent) throw invalid(file, 'is missing a tensor that model.safetensors.index.json places here', `tensor "${absent}"`);
  }
  return byFile;
}

/** Weight reads per folder in this process, counted where the data is read. */
const weightReads = new Map<string, number>();

/**
 * How many times this process has read the weights of the checkpoint in `dir` — what a caller
 * that promises to load a model once (a comparison of base, tuned and blends) is tested with.
 */
export function checkpointReads(dir: string): number {
  return weightReads.get(resolve(dir)) ?? 0;
}

/**
 * Reads and validates a checkpoint folder. Throws CheckpointError: 'CHECKPOINT_NOT_FOUND' when
 * `dir` is not a folder, 'CHECKPOINT_INVALID' (naming file and tensor/field) for anything else.
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  dir = resolve(dir);
  const s = await stat(dir).catch(() => undefined);
  if (!s?.isDirectory()) {
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${dir}: no model folder here. Pass a folder with config.json and model.safetensors (a Hugging Face Whisper checkpoint).`,
      dir,
    );
  }
  const configFile = join(dir, 'config.json');
  const config = parseWhisperConfig(await readJson(configFile, true), configFile);
  const dims = config.dims;
  const genFile = join(dir, 'generation_config.json');
  const generation = parseGenerationConfig(await readJson(genFile, false), dims, genFile);

  const preFile = join(dir, 'preprocessor_config.json');
  const pre = (await readJson(preFile, false)) as Record<string, unknown> | undefined;
  if (pre !== undefined) {
    if (pre === null || typeof pre !== 'object') throw invalid(preFile, 'is not a JSON object');
    if (pre.feature_size !== undefined && pre.feature_size !== dims.nMels) {
      throw invalid(preFile, `is ${JSON.stringify(pre.feature_size)} but config.json num_mel_bins is ${dims.nMels}`, 'field "feature_size"');
    }
    if (pre.sampling_rate !== undefined && pre.sampling_rate !== 16000) {
      throw invalid(preFile, `is ${JSON.stringify(pre.sampling_rate)}; Whisper needs 16000`, 'field "sampling_rate"');
    }
  }

  const tokenizer = await WhisperTokenizer.fromDir(dir);
  checkTokenizer(tokenizer, config, generation, dir);

  // Plan: every expected tensor must be somewhere, with the shape config.json implies.
  const expected = expectedTensorShapes(dims);
  const files = await weightFiles(dir);
  const where = new Map<string, string>();
  for (const [file, names] of files) for (const n of names) if (expected.has(n)) where.set(n, file);
  for (const name of expected.keys()) {
    if (!where.has(name) && !OPTIONAL_TENSORS.has(name)) {
      const file = files.size === 1 ? [...files.keys()][0] : join(dir, 'model.safetensors.index.json');
      throw invalid(file, 'is missing from the checkpoint', `tensor "${name}"`);
    }
  }

  const weights = new Map<string, CheckpointTensor>();
  weightReads.set(dir, (weightReads.get(dir) ?? 0) + 1);
  for (const [file, names] of files) {
    const wanted = names.filter((n) => expected.has(n));
    // Check shapes from the header before reading gigabytes of data.
    for (const t of (await readSafetensorsHeader(file)).tensors) {
      const shape = expected.get(t.name);
      if (shape && (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i]))) {
        throw invalid(file, `has shape [${t.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`, `tensor "${t.name}"`);
      }
      if (shape && t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') {
        throw invalid(file, `is stored as ${t.dtype}; Whisper weights must be F32, F16 or BF16`, `tensor "${t.name}"`);
      }
    }
    for (const [name, t] of await readSafetensors(file, { names: wanted })) weights.set(name, t);
  }
  return { dir, dims, config, generation, weights, tokenizer };
}

/** The tokenizer must agree with config.json and generation_config.json about the special ids. */
function checkTokenizer(tok: WhisperTokenizer, config: WhisperConfig, gen: GenerationConfig, dir: string): void {
  const tokFile = join(dir, 'tokenizer.json');
  if (tok.vocabSize > config.dims.nVocab) {
    throw invalid(tokFile, `has ${tok.vocabSize} tokens but config.json vocab_size is ${config.dims.nVocab} (tokenizer from another model?)`);
  }
  if (tok.isMultilingual !== gen.isMultilingual) {
    throw invalid(tokFile, `is ${tok.isMultilingual ? 'multilingual' : 'English-only'} but config.json vocab_size ${config.dims.nVocab} is not`);
  }
  const genFile = join(dir, 'generation_config.json');
  const checks: [string, string, number, number][] = [
    [join(dir, 'config.json'), 'decoder_start_token_id', config.decoderStartTokenId, tok.special.sot],
    [join(dir, 'config.json'), 'eos_token_id', config.eosTokenId, tok.special.eot],
    [genFile, 'decoder_start_token_id', gen.decoderStartTokenId, tok.special.sot],
    [genFile, 'eos_token_id', gen.eosTokenId, tok.special.eot],
    [genFile, 'no_timestamps_token_id', gen.noTimestampsTokenId, tok.special.noTimestamps],
    [genFile, 'prev_sot_token_id', gen.prevSotTokenId, tok.special.sotPrev],
  ];
  for (const [file, key, got, want] of checks) {
    if (got !== want) throw invalid(file, `is ${got} but the tokenizer puts that token at ${want}`, `field "${key}"`);
  }
}
