/**
 * @file Writes a Hugging Face Whisper folder as a whisper.cpp ggml model file (whisper-spec §8),
 * the format whisper.cpp-based apps (and MacWhisper, Buzz, Vibe) load, in f16 or f32. It does
 * what whisper.cpp's `models/convert-h5-to-ggml.py` does:
 *
 *   int32 magic 0x67676d6c "ggml"
 *   11 × int32 hparams: n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
 *                       n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype
 *   int32 n_mels, int32 201, n_mels·201 float32 mel filters
 *   int32 count, then per token int32 length + raw bytes (vocab.json sorted by id, byte-decoded)
 *   tensors until EOF: int32 n_dims, int32 name_len, int32 ttype (0 F32, 1 F16),
 *                      dims innermost first, name bytes, raw data (no padding)
 *
 * Tensor names are OpenAI's (`encoder.blocks.0.attn.query.weight`); proj_out is skipped (tied).
 * Conv biases become [n, 1]. With f16, 1-D tensors, conv biases and both positional embeddings
 * stay F32, which is what the whisper.cpp loader checks for.
 *
 * Not here: quantized types (q5_0 …) — whisper.cpp's `quantize` tool makes those from this file.
 */
import { createWriteStream } from 'node:fs';
import { readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { melFilters } from '../audio/mel.ts';
import { UserError } from '../util/errors.ts';
import { expectedTensorShapes, loadCheckpoint, type Checkpoint } from '../whisper/checkpoint.ts';
import { sinusoids } from '../whisper/layers.ts';
import { f32ToF16Bits } from '../whisper/safetensors.ts';

export const GGML_MAGIC = 0x67676d6c;
export type GgmlType = 'f16' | 'f32';

/**
 * Hugging Face tensor name → OpenAI/whisper.cpp name (the inverse of transformers'
 * `convert_openai_to_hf.py` WHISPER_MAPPING), or null for tensors ggml does not store.
 */
export function hfToOpenAiName(hf: string): string | null {
  if (hf === 'proj_out.weight') return null;
  const n = hf.replace(/^model\./, '');
  if (n === 'encoder.embed_positions.weight') return 'encoder.positional_embedding';
  if (n === 'decoder.embed_positions.weight') return 'decoder.positional_embedding';
  return n
    .replace(/^decoder\.embed_tokens\./, 'decoder.token_embedding.')
    .replace(/^encoder\.layer_norm\./, 'encoder.ln_post.')
    .replace(/^decoder\.layer_norm\./, 'decoder.ln.')
    .replace('.layers.', '.blocks.')
    .replace('.self_attn_layer_norm.', '.attn_ln.')
    .replace('.encoder_attn_layer_norm.', '.cross_attn_ln.')
    .replace('.final_layer_norm.', '.mlp_ln.')
    .replace('.self_attn.', '.attn.')
    .replace('.encoder_attn.', '.cross_attn.')
    .replace('.q_proj.', '.query.')
    .replace('.k_proj.', '.key.')
    .replace('.v_proj.', '.value.')
    .replace('.out_proj.', '.out.')
    .replace('.fc1.', '.mlp.0.')
    .replace('.fc2.', '.mlp.2.');
}

const CONV_BIASES = new Set(['encoder.conv1.bias', 'encoder.conv2.bias']);
const KEEP_F32 = new Set([...CONV_BIASES, 'encoder.positional_embedding', 'decoder.positional_embedding']);

/** The ggml element type of a tensor (0 = F32, 1 = F16), per convert-pt-to-ggml.py. */
export function ggmlTensorType(openAiName: string, nDims: number, type: GgmlType): 0 | 1 {
  if (type === 'f32') return 0;
  return nDims < 2 || KEEP_F32.has(openAiName) ? 0 : 1;
}

/** GPT-2's byte ↔ unicode table (`bytes_to_unicode`), inverted: code point → byte. */
export function byteDecoder(): Map<number, number> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(cs.map((c, i) => [c, bs[i]]));
}

/** vocab.json (token → id) as raw token bytes in id order, the way the h5 converter writes it. */
export function ggmlVocab(vocab: Record<string, number>): Uint8Array[] {
  const dec = byteDecoder();
  return Object.entries(vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([tok]) => {
      const bytes: number[] = [];
      for (const ch of tok) {
        const b = dec.get(ch.codePointAt(0)!);
        if (b !== undefined) bytes.push(b);
        else bytes.push(...Buffer.from(ch, 'utf8')); // not byte-level (never in Whisper's vocab)
      }
      return Uint8Array.from(bytes);
    });
}

function int32s(...xs: number[]): Buffer {
  const b = Buffer.alloc(4 * xs.length);
  xs.forEach((x, i) => b.writeInt32LE(x, 4 * i));
  return b;
}

export type GgmlExportResult = { path: string; bytes: number; tensors: number; type: GgmlType };

/**
 * Writes `ckpt` (or the HF folder at `modelDir`) to `outPath` as a ggml file, atomically (a
 * `.partial` file renamed at the end, so an interrupted export never looks like a model).
 */
export async function exportGgml(
  model: string | Checkpoint,
  outPath: string,
  opts: { type?: GgmlType; onTensor?: (name: string, index: number, count: number) => void } = {},
): Promise<GgmlExportResult> {
  const type = opts.type ?? 'f16';
  const ckpt = typeof model === 'string' ? await loadCheckpoint(model) : model;
  const d = ckpt.dims;
  if (d.nMels !== 80 && d.nMels !== 128) throw new UserError('GGML_UNSUPPORTED', `whisper.cpp needs 80 or 128 mel bins; this model has ${d.nMels}.`);
  if (d.nAudioFfn !== 4 * d.nAudioState || d.nTextFfn !== 4 * d.nTextState || d.nAudioState !== d.nTextState) {
    throw new UserError('GGML_UNSUPPORTED', `whisper.cpp assumes MLP width 4·d and equal encoder/decoder widths; this model (${JSON.stringify(d)}) cannot be stored as ggml.`);
  }
  const vocabFile = path.join(ckpt.dir, 'vocab.json');
  const vocabJson = JSON.parse(await readFile(vocabFile, 'utf8').catch(() => {
    throw new UserError('GGML_NO_VOCAB', `${vocabFile} is missing; the ggml format needs the model's vocab.json.`);
  })) as Record<string, number>;
  const vocab = ggmlVocab(vocabJson);

  // Tensors in checkpoint order (encoder, then decoder), OpenAI names, PyTorch shapes.
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const [hf, shape] of expectedTensorShapes(d)) {
    const name = hfToOpenAiName(hf);
    if (!name) continue;
    let data = ckpt.weights.get(hf)?.data;
    if (!data && hf === 'model.encoder.embed_positions.weight') data = sinusoids(d.nAudioCtx, d.nAudioState);
    if (!data) throw new UserError('GGML_MISSING_TENSOR', `${ckpt.dir}: tensor "${hf}" is missing, so the ggml file would not load.`);
    tensors.push({ name, shape: CONV_BIASES.has(name) ? [shape[0], 1] : shape, data });
  }

  const partial = `${outPath}.partial`;
  const out = createWriteStream(partial);
  let bytes = 0;
  const write = async (b: Uint8Array) => {
    bytes += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  try {
    const ftype = type === 'f16' ? 1 : 0;
    await write(int32s(GGML_MAGIC, d.nVocab, d.nAudioCtx, d.nAudioState, d.nAudioHead, d.nAudioLayer, d.nTextCtx, d.nTextState, d.nTextHead, d.nTextLayer, d.nMels, ftype));
    const filters = melFilters(d.nMels as 80 | 128);
    await write(int32s(d.nMels, filters.length / d.nMels));
    await write(new Uint8Array(filters.buffer, filters.byteOffset, filters.byteLength));
    await write(int32s(vocab.length));
    for (const tok of vocab) {
      await write(int32s(tok.length));
      await write(tok);
    }
    for (const [i, t] of tensors.entries()) {
      opts.onTensor?.(t.name, i, tensors.length);
      const ttype = ggmlTensorType(t.name, t.shape.length, type);
      const name = Buffer.from(t.name, 'utf8');
      await write(int32s(t.shape.length, name.length, ttype, ...[...t.shape].reverse()));
      await write(name);
      const raw = ttype === 1 ? f32ToF16Bits(t.data) : t.data;
      await write(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    }
    out.end();
    await once(out, 'finish');
    await rename(partial, outPath);
  } catch (e) {
    out.destroy();
    await unlink(partial).catch(() => undefined);
    throw e;
  }
  return { path: outPath, bytes, tensors: tensors.length, type };
}
