/**
 * Merging a LoRA adapter (or blending a fine-tuned model) into plain weights, and writing the
 * result as a complete Hugging Face Whisper folder that this app's loader and transformers'
 * `WhisperForConditionalGeneration.from_pretrained` both read.
 *
 * Host float32 math: a merge touches each weight once, and keeping it off the device means an
 * export never competes with a running model for GPU memory.
 */
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeSafetensors, type WritableDtype, type WritableTensor } from '../whisper/safetensors.ts';
import type { HostLoraPair, HostTensor } from './peft.ts';
import { writeFolderAtomically } from './peft.ts';

const OUTPUT = 'proj_out.weight';
const EMBED = 'model.decoder.embed_tokens.weight';

/**
 * W' = W + scale · scaling · B·A for every adapted module (`<module>.weight`); other tensors are
 * shared, not copied. Shapes: W [out, in], A [r, in], B [out, r]. `scaling` is used for pairs that
 * carry none. Returns a new Map; `base` is not modified.
 */
export function mergeLora(
  base: Map<string, HostTensor>,
  pairs: Map<string, Pick<HostLoraPair, 'A' | 'B'> & { scaling?: number }>,
  scaling?: number,
  scale = 1,
): Map<string, HostTensor> {
  const out = new Map(base);
  if (scale === 0) return out;
  for (const [module, p] of pairs) {
    const name = `${module}.weight`;
    const w = base.get(name);
    if (!w) throw new Error(`mergeLora: the base weights have no "${name}"`);
    const [outDim, inDim] = w.shape;
    const r = p.A.shape[0];
    if (p.A.shape[1] !== inDim || p.B.shape[0] !== outDim || p.B.shape[1] !== r) {
      throw new Error(`mergeLora: ${module} A [${p.A.shape}] / B [${p.B.shape}] do not fit W [${w.shape}]`);
    }
    const s = scale * (p.scaling ?? scaling ?? NaN);
    if (!Number.isFinite(s)) throw new Error(`mergeLora: no scaling for ${module}`);
    const A = p.A.data;
    const B = p.B.data;
    const merged = Float32Array.from(w.data);
    const row = new Float64Array(inDim);
    for (let o = 0; o < outDim; o++) {
      row.fill(0);
      for (let k = 0; k < r; k++) {
        const b = B[o * r + k];
        if (b === 0) continue;
        const off = k * inDim;
        for (let i = 0; i < inDim; i++) row[i] += b * A[off + i];
      }
      const off = o * inDim;
      for (let i = 0; i < inDim; i++) merged[off + i] += s * row[i];
    }
    out.set(name, { shape: [...w.shape], data: merged });
  }
  return out;
}

/**
 * base + scale·(tuned − base) for every tensor of `base` (scale 0 = base exactly, 1 = tuned
 * exactly). A tied output on one side is read as the token embedding, so a tuned model that
 * unties proj_out still blends correctly. Tensors missing from `tuned` stay as in `base`.
 */
export function blendWeights(base: Map<string, HostTensor>, tuned: Map<string, HostTensor>, scale: number): Map<string, HostTensor> {
  const out = new Map(base);
  if (scale === 0) return out;
  const names = new Set(base.keys());
  if (tuned.has(OUTPUT)) names.add(OUTPUT);
  for (const name of names) {
    const b = base.get(name) ?? (name === OUTPUT ? base.get(EMBED) : undefined);
    const t = tuned.get(name) ?? (name === OUTPUT && base.has(OUTPUT) ? tuned.get(EMBED) : undefined);
    if (!b || !t) continue;
    if (b.shape.length !== t.shape.length || b.shape.some((v, i) => v !== t.shape[i])) {
      throw new Error(`blendWeights: ${name} is [${b.shape}] in the base but [${t.shape}] in the tuned model`);
    }
    if (scale === 1) {
      out.set(name, t);
      continue;
    }
    const data = new Float32Array(b.data.length);
    for (let i = 0; i < data.length; i++) data[i] = b.data[i] + scale * (t.data[i] - b.data[i]);
    out.set(name, { shape: [...b.shape], data });
  }
  return out;
}

/**
 * Host copies of device weights (e.g. a full fine-tune's tf.Variables) for writeHfModel; awaits
 * each download so a GPU backend never blocks on a synchronous read.
 */
export async function toHostWeights(map: Map<string, tf.Tensor>): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of map) out.set(name, { shape: [...t.shape], data: Float32Array.from((await t.data()) as Float32Array) });
  return out;
}

/** Files copied verbatim from the base folder (configs, tokenizer, normaliser). */
const COPIED = /^(generation_config|preprocessor_config|tokenizer|tokenizer_config|special_tokens_map|added_tokens|normalizer|vocab)\.json$|^merges\.txt$/;

function sameData(a: HostTensor, b: HostTensor): boolean {
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

export interface WriteHfOptions {
  /** Stored dtype of the weights (F32 default; F16 halves the size). */
  dtype?: WritableDtype;
  overwrite?: boolean;
}

/**
 * Writes `weights` (HF names) as a complete Whisper folder at `outDir`, with config.json,
 * generation_config.json, preprocessor_config.json and the tokenizer files copied from `baseDir`.
 * proj_out.weight is left out when it equals the token embedding and config.json ties them (as
 * every released checkpoint does); a proj_out that differs is stored and config.json says
 * tie_word_embeddings: false, so neither loader re-ties it away. Atomic (tmp folder + rename).
 */
export async function writeHfModel(baseDir: string, weights: Map<string, HostTensor>, outDir: string, opts: WriteHfOptions = {}): Promise<void> {
  baseDir = resolve(baseDir);
  const dtype = opts.dtype ?? 'F32';
  const config = JSON.parse(await readFile(join(baseDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const tensors = new Map<string, WritableTensor>();
  for (const [name, t] of weights) tensors.set(name, { shape: t.shape, data: t.data, dtype });
  const out = weights.get(OUTPUT);
  const embed = weights.get(EMBED);
  if (out && embed && sameData(out, embed)) {
    tensors.delete(OUTPUT);
    config.tie_word_embeddings = true;
  } else if (out) {
    config.tie_word_embeddings = false;
  }
  config.torch_dtype = dtype === 'F32' ? 'float32' : dtype === 'F16' ? 'float16' : 'bfloat16';
  const copies = (await readdir(baseDir)).filter((f) => COPIED.test(f));
  await writeFolderAtomically(outDir, async (tmp) => {
    for (const f of copies) await copyFile(join(baseDir, f), join(tmp, f));
    await writeFile(join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    await writeSafetensors(join(tmp, 'model.safetensors'), tensors, { format: 'pt' });
  }, opts.overwrite);
}
