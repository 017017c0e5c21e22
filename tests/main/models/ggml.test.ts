/**
 * Exports the reference fixture model to ggml and reads the file back with a parser written here,
 * from whisper-spec §8 and whisper.cpp's loader, sharing no code with the writer: names come from
 * OpenAI → HF mapping in the forward direction, weights straight from the safetensors bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportGgml } from '../../../src-main/models/ggml.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const shared = path.resolve(repoRoot, '../shared');
const MODELS = path.join(shared, 'reference/models');
const F32_MODEL = path.join(MODELS, 'whisper-micro-en');
const F16_MODEL = path.join(MODELS, 'whisper-micro-en-f16');
const skip = !existsSync(F32_MODEL) && 'needs ../shared/reference (not in a fresh clone)';

type GgmlTensor = { name: string; dims: number[]; ttype: number; data: Buffer };
type Ggml = { magic: number; hparams: number[]; mel: { nMel: number; nFft: number; data: Float32Array }; vocab: Buffer[]; tensors: GgmlTensor[] };

/** whisper.cpp's reading order: magic, 11 hparams, mel filters, vocab, tensors until EOF. */
function parseGgml(buf: Buffer): Ggml {
  let o = 0;
  const i32 = () => {
    const v = buf.readInt32LE(o);
    o += 4;
    return v;
  };
  const magic = i32() >>> 0;
  const hparams = Array.from({ length: 11 }, i32);
  const nMel = i32();
  const nFft = i32();
  const mel = new Float32Array(nMel * nFft);
  for (let k = 0; k < mel.length; k++, o += 4) mel[k] = buf.readFloatLE(o);
  const nTok = i32();
  const vocab: Buffer[] = [];
  for (let k = 0; k < nTok; k++) {
    const len = i32();
    vocab.push(buf.subarray(o, o + len));
    o += len;
  }
  const tensors: GgmlTensor[] = [];
  while (o < buf.length) {
    const nDims = i32();
    const nameLen = i32();
    const ttype = i32();
    const dims = Array.from({ length: nDims }, i32);
    const name = buf.subarray(o, o + nameLen).toString('utf8');
    o += nameLen;
    const size = dims.reduce((a, b) => a * b, 1) * (ttype === 1 ? 2 : 4);
    tensors.push({ name, dims, ttype, data: buf.subarray(o, o + size) });
    o += size;
    assert.ok(o <= buf.length, `tensor ${name} runs past the end of the file`);
  }
  return { magic, hparams, mel: { nMel, nFft, data: mel }, vocab, tensors };
}

/** Raw safetensors: name → { dtype, shape, bytes }. */
function readSafetensorsRaw(file: string): Map<string, { dtype: string; shape: number[]; bytes: Buffer }> {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Buffer }>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    out.set(name, { dtype: e.dtype, shape: e.shape, bytes: buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]) });
  }
  return out;
}

/** whisper.cpp's tensor names for a model with these layer counts (src/whisper-arch.h). */
function openAiNames(encLayers: number, decLayers: number): string[] {
  const attn = (p: string) => ['query.weight', 'query.bias', 'key.weight', 'value.weight', 'value.bias', 'out.weight', 'out.bias'].map((s) => `${p}.${s}`);
  const ln = (p: string) => [`${p}.weight`, `${p}.bias`];
  const mlp = (p: string) => [`${p}.mlp.0.weight`, `${p}.mlp.0.bias`, `${p}.mlp.2.weight`, `${p}.mlp.2.bias`];
  const names = ['encoder.positional_embedding', 'encoder.conv1.weight', 'encoder.conv1.bias', 'encoder.conv2.weight', 'encoder.conv2.bias', ...ln('encoder.ln_post')];
  for (let i = 0; i < encLayers; i++) names.push(...attn(`encoder.blocks.${i}.attn`), ...ln(`encoder.blocks.${i}.attn_ln`), ...mlp(`encoder.blocks.${i}`), ...ln(`encoder.blocks.${i}.mlp_ln`));
  names.push('decoder.positional_embedding', 'decoder.token_embedding.weight', ...ln('decoder.ln'));
  for (let i = 0; i < decLayers; i++) {
    const p = `decoder.blocks.${i}`;
    names.push(...attn(`${p}.attn`), ...ln(`${p}.attn_ln`), ...attn(`${p}.cross_attn`), ...ln(`${p}.cross_attn_ln`), ...mlp(p), ...ln(`${p}.mlp_ln`));
  }
  return names;
}

/** OpenAI → HF, the direction transformers' convert_openai_to_hf.py WHISPER_MAPPING goes. */
function openAiToHf(name: string): string {
  if (name === 'encoder.positional_embedding') return 'model.encoder.embed_positions.weight';
  if (name === 'decoder.positional_embedding') return 'model.decoder.embed_positions.weight';
  const pairs: [string, string][] = [
    ['blocks', 'layers'], ['mlp.0', 'fc1'], ['mlp.2', 'fc2'], ['mlp_ln', 'final_layer_norm'],
    ['cross_attn.query', 'encoder_attn.q_proj'], ['cross_attn.key', 'encoder_attn.k_proj'], ['cross_attn.value', 'encoder_attn.v_proj'], ['cross_attn.out', 'encoder_attn.out_proj'],
    ['cross_attn_ln', 'encoder_attn_layer_norm'],
    ['attn.query', 'self_attn.q_proj'], ['attn.key', 'self_attn.k_proj'], ['attn.value', 'self_attn.v_proj'], ['attn.out', 'self_attn.out_proj'], ['attn_ln', 'self_attn_layer_norm'],
    ['decoder.ln.', 'decoder.layer_norm.'], ['encoder.ln_post', 'encoder.layer_norm'], ['token_embedding', 'embed_tokens'],
  ];
  let n = name;
  for (const [a, b] of pairs) n = n.split(`.${a}`).join(`.${b}`).replace(new RegExp(`^${a.replace(/\./g, '\\.')}`), b);
  return `model.${n}`;
}

/** IEEE half → float (for checking f32 weights exported as f16). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const F32_ALWAYS = new Set(['encoder.conv1.bias', 'encoder.conv2.bias', 'encoder.positional_embedding', 'decoder.positional_embedding']);

function checkExport(modelDir: string, type: 'f16' | 'f32', g: Ggml) {
  const cfg = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
  assert.equal(g.magic, 0x67676d6c, 'magic "ggml"');
  assert.deepEqual(g.hparams, [
    cfg.vocab_size, cfg.max_source_positions, cfg.d_model, cfg.encoder_attention_heads, cfg.encoder_layers,
    cfg.max_target_positions, cfg.d_model, cfg.decoder_attention_heads, cfg.decoder_layers, cfg.num_mel_bins, type === 'f16' ? 1 : 0,
  ]);

  // Mel filters equal the reference filterbank (computed by librosa through openai-whisper).
  const ref = readFileSync(path.join(shared, 'reference/mel/filters-80.f32'));
  assert.equal(g.mel.nMel, 80);
  assert.equal(g.mel.nFft, 201);
  let maxDiff = 0;
  for (let k = 0; k < g.mel.data.length; k++) maxDiff = Math.max(maxDiff, Math.abs(g.mel.data[k] - ref.readFloatLE(4 * k)));
  assert.ok(maxDiff < 1e-6, `mel filters differ by ${maxDiff}`);

  // Vocab: every vocab.json entry, in id order, as raw bytes.
  const vocabJson = JSON.parse(readFileSync(path.join(modelDir, 'vocab.json'), 'utf8')) as Record<string, number>;
  assert.equal(g.vocab.length, Object.keys(vocabJson).length);
  // The fixture's vocab.json holds the 50 256 BPE ranks (like OpenAI's gpt2.tiktoken, which the
  // pt converter writes); whisper.cpp names the special ids above them itself.
  assert.ok(g.vocab.length >= 50256 && g.vocab.length <= g.hparams[0]);
  assert.equal(g.vocab[0].toString(), '!');
  if (g.vocab.length > 50256) assert.equal(g.vocab[50256].toString(), '<|endoftext|>');
  for (const [tok, id] of Object.entries(vocabJson).slice(0, 2000)) {
    assert.equal(g.vocab[id].length, [...tok].length, `token ${id} is one byte per byte-level character`);
  }
  assert.equal(Buffer.concat([9485, 15884, 354].map((id) => g.vocab[id])).toString('utf8'), ' PyTorch');
  assert.equal(g.vocab[198].toString('hex'), '0a', 'Ċ is the newline byte');

  // Tensors: whisper.cpp's names, dims reversed, dtype per the f16 rules, data = the source bytes.
  const src = readSafetensorsRaw(path.join(modelDir, 'model.safetensors'));
  const expected = openAiNames(cfg.encoder_layers, cfg.decoder_layers);
  assert.deepEqual(g.tensors.map((t) => t.name).sort(), [...expected].sort());
  assert.ok(!g.tensors.some((t) => t.name.includes('proj_out')));
  for (const t of g.tensors) {
    const s = src.get(openAiToHf(t.name));
    assert.ok(s, `${t.name} maps to a stored tensor`);
    const shape = t.name.endsWith('conv1.bias') || t.name.endsWith('conv2.bias') ? [...s.shape, 1] : s.shape;
    assert.deepEqual(t.dims, [...shape].reverse(), `${t.name} dims`);
    const wantF16 = type === 'f16' && s.shape.length >= 2 && !F32_ALWAYS.has(t.name);
    assert.equal(t.ttype, wantF16 ? 1 : 0, `${t.name} ttype`);
    if (s.dtype === (wantF16 ? 'F16' : 'F32')) {
      assert.ok(t.data.equals(s.bytes), `${t.name} bytes equal the source`);
    } else if (s.dtype === 'F32' && wantF16) {
      for (let k = 0; k < s.bytes.length / 4; k++) {
        const x = s.bytes.readFloatLE(4 * k);
        const y = halfToFloat(t.data.readUInt16LE(2 * k));
        assert.ok(Math.abs(x - y) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `${t.name}[${k}]: ${x} vs f16 ${y}`);
      }
    } else {
      // F16 source kept as F32: the widening is exact.
      for (let k = 0; k < s.bytes.length / 2; k++) assert.equal(t.data.readFloatLE(4 * k), halfToFloat(s.bytes.readUInt16LE(2 * k)), `${t.name}[${k}]`);
    }
  }
}

for (const [label, dir, type] of [
  ['float32 fixture → f32', F32_MODEL, 'f32'],
  ['float32 fixture → f16', F32_MODEL, 'f16'],
  ['float16 fixture → f16 (bit-exact)', F16_MODEL, 'f16'],
] as const) {
  test(`ggml export ${label} is read back by an independent parser`, { skip }, async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'vt-ggml-'));
    try {
      const file = path.join(out, `ggml-micro-${type}.bin`);
      const r = await exportGgml(dir, file, { type });
      const buf = readFileSync(file);
      assert.equal(r.bytes, buf.length);
      assert.deepEqual(readdirSync(out), [path.basename(file)], 'no .partial left behind');
      checkExport(dir, type, parseGgml(buf));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
