import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedTensorShapes, loadCheckpoint } from '../../../src-main/whisper/checkpoint.ts';
import { parseGenerationConfig, parseWhisperConfig } from '../../../src-main/whisper/config.ts';
import type { WhisperDims } from '../../../src-main/whisper/config.ts';
import { f32ToF16Bits, readSafetensors, writeSafetensors } from '../../../src-main/whisper/safetensors.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const micro = path.resolve(repoRoot, '../shared/reference/models/whisper-micro-en');
const skip = !existsSync(micro) && 'needs ../shared/reference (not in a fresh clone)';

const MICRO: WhisperDims = {
  nMels: 80, nAudioCtx: 1500, nAudioState: 64, nAudioHead: 2, nAudioLayer: 2, nTextCtx: 448,
  nTextState: 64, nTextHead: 2, nTextLayer: 2, nVocab: 51864, nAudioFfn: 256, nTextFfn: 256,
};

test('loads the F32 fixture: dims, generation config, every tensor with its expected shape', { skip }, async () => {
  const ckpt = await loadCheckpoint(micro);
  assert.deepEqual(ckpt.dims, MICRO);
  assert.equal(ckpt.config.decoderStartTokenId, 50257);
  assert.equal(ckpt.generation.noTimestampsTokenId, 50362);
  assert.equal(ckpt.generation.prevSotTokenId, 50360);
  assert.equal(ckpt.generation.isMultilingual, false);
  assert.deepEqual(ckpt.generation.beginSuppressTokens, [220, 50256]);
  assert.equal(ckpt.generation.suppressTokens?.length, 84);
  assert.deepEqual(ckpt.generation.alignmentHeads, [[1, 0], [1, 1]]);
  assert.equal(ckpt.tokenizer.special.sot, 50257);
  const expected = expectedTensorShapes(ckpt.dims);
  assert.equal(expected.size, 90);
  assert.equal(ckpt.weights.size, 89);
  assert.ok(!ckpt.weights.has('proj_out.weight'), 'proj_out is tied, not stored');
  for (const [name, t] of ckpt.weights) {
    assert.deepEqual(t.shape, expected.get(name), name);
    assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1));
    assert.equal(t.dtype, 'F32');
  }
  assert.deepEqual(ckpt.weights.get('model.encoder.conv1.weight')!.shape, [64, 80, 3]);
  assert.deepEqual(ckpt.weights.get('model.decoder.layers.1.fc1.weight')!.shape, [256, 64]);
});

test('loads the F16 fixture as float32 equal to the F32 weights rounded to half', { skip }, async () => {
  const a = await loadCheckpoint(micro);
  const b = await loadCheckpoint(micro + '-f16');
  assert.equal(b.weights.size, a.weights.size);
  for (const [name, t] of b.weights) {
    assert.equal(t.dtype, 'F16');
    assert.deepEqual(f32ToF16Bits(t.data), f32ToF16Bits(a.weights.get(name)!.data), name);
  }
});

test('loads a sharded checkpoint (index + 2 shards) with a stored proj_out', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-ckpt-'));
  try {
    for (const f of readdirSync(micro)) if (f !== 'model.safetensors') copyFileSync(path.join(micro, f), path.join(dir, f));
    const weights = await readSafetensors(path.join(micro, 'model.safetensors'));
    const names = [...weights.keys()];
    const emb = weights.get('model.decoder.embed_tokens.weight')!;
    const shards = [names.filter((n) => n.includes('encoder')), names.filter((n) => !n.includes('encoder'))];
    const weightMap: Record<string, string> = {};
    for (let i = 0; i < 2; i++) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      const m = new Map(shards[i].map((n) => [n, { shape: weights.get(n)!.shape, data: weights.get(n)!.data }]));
      if (i === 1) m.set('proj_out.weight', { shape: emb.shape, data: emb.data.map((x) => -x) });
      for (const n of m.keys()) weightMap[n] = file;
      await writeSafetensors(path.join(dir, file), m);
    }
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const ckpt = await loadCheckpoint(dir);
    assert.equal(ckpt.weights.size, 90);
    assert.equal(ckpt.weights.get('proj_out.weight')!.data[0], -emb.data[0]);
    assert.deepEqual(ckpt.weights.get('model.encoder.conv2.weight')!.data, weights.get('model.encoder.conv2.weight')!.data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generation defaults follow the vocabulary layout when generation_config.json is absent', () => {
  const en = parseGenerationConfig(undefined, MICRO);
  assert.equal(en.isMultilingual, false);
  assert.equal(en.noTimestampsTokenId, 50362);
  assert.equal(en.prevSotTokenId, 50360);
  assert.deepEqual(en.taskToId, { transcribe: 50358, translate: 50357 });
  assert.deepEqual(en.langToId, {});
  assert.equal(en.suppressTokens, null);

  const multi = parseGenerationConfig(undefined, { ...MICRO, nVocab: 51865 });
  assert.equal(multi.isMultilingual, true);
  assert.equal(multi.decoderStartTokenId, 50258);
  assert.equal(multi.eosTokenId, 50257);
  assert.equal(multi.noTimestampsTokenId, 50363);
  assert.equal(multi.prevSotTokenId, 50361);
  assert.deepEqual(multi.taskToId, { transcribe: 50359, translate: 50358 });
  assert.equal(multi.langToId['<|en|>'], 50259);
  assert.equal(multi.langToId['<|es|>'], 50262);
  assert.equal(Object.keys(multi.langToId).length, 99);
  assert.deepEqual(multi.beginSuppressTokens, [220, 50257]);

  const v3 = parseGenerationConfig(undefined, { ...MICRO, nMels: 128, nVocab: 51866 });
  assert.equal(v3.noTimestampsTokenId, 50364);
  assert.equal(v3.langToId['<|yue|>'], 50358);
  assert.deepEqual(v3.taskToId, { transcribe: 50360, translate: 50359 });
});

test('config.json errors name the file and the field', () => {
  const good = {
    model_type: 'whisper', d_model: 64, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 2,
    decoder_attention_heads: 2, num_mel_bins: 80, max_source_positions: 1500, max_target_positions: 448,
    vocab_size: 51864,
  };
  assert.deepEqual(parseWhisperConfig(good).dims, MICRO); // ffn defaults to 4·d
  const bad: [object, RegExp][] = [
    [{ ...good, d_model: undefined }, /config\.json, field "d_model"/],
    [{ ...good, num_mel_bins: 40 }, /field "num_mel_bins"/],
    [{ ...good, encoder_attention_heads: 3 }, /field "encoder_attention_heads"/],
    [{ ...good, vocab_size: 50000 }, /field "vocab_size"/],
    [{ ...good, model_type: 'bert' }, /field "model_type"/],
  ];
  for (const [json, re] of bad) {
    assert.throws(() => parseWhisperConfig(json, 'config.json'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'CHECKPOINT_INVALID');
      assert.match(e.message, re);
      return true;
    });
  }
  assert.throws(() => parseGenerationConfig({ is_multilingual: true }, MICRO), /field "is_multilingual"/);
  assert.throws(() => parseGenerationConfig({ alignment_heads: [[5, 0]] }, MICRO), /field "alignment_heads"/);
});

test('a missing folder is CHECKPOINT_NOT_FOUND', async () => {
  await assert.rejects(loadCheckpoint(path.join(tmpdir(), 'vt-no-such-model')), { code: 'CHECKPOINT_NOT_FOUND' });
});
