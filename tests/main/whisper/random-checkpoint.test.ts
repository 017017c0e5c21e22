import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedTensorShapes, loadCheckpoint } from '../../../src-main/whisper/checkpoint.ts';
import {
  parameterCount,
  resolveDims,
  WHISPER_PRESETS,
  writeRandomCheckpoint,
} from '../../../src-main/whisper/random-checkpoint.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tokenizerDir = path.resolve(repoRoot, '../shared/reference/tokenizer');
const skip = !existsSync(tokenizerDir) && 'needs ../shared/reference (not in a fresh clone)';

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-rand-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('parameter counts of the presets match the released models (spec §2)', () => {
  assert.equal(parameterCount(WHISPER_PRESETS.tiny), 37_760_640);
  assert.equal(parameterCount(WHISPER_PRESETS['large-v3']), 1_543_490_560);
  assert.equal(parameterCount({ ...WHISPER_PRESETS['large-v3'], nMels: 80, nVocab: 51865 }), 1_543_304_960); // large-v2
  assert.equal(resolveDims({ preset: 'tiny', multilingual: false }).nVocab, 51864);
  assert.equal(resolveDims({ multilingual: true, nMels: 128 }).nVocab, 51866);
  assert.deepEqual(resolveDims({ dims: { nAudioState: 128 } }).nTextFfn, 512);
  assert.throws(() => resolveDims({ dims: { nAudioHead: 3 } }), /heads must divide/);
});

test('micro F32 checkpoint loads back; deterministic per seed; fixed sinusoids; LayerNorm near 1', { skip }, async () => {
  await withDir(async (dir) => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    const c = path.join(dir, 'c');
    await writeRandomCheckpoint(a, { tokenizerDir, seed: 1 });
    await writeRandomCheckpoint(b, { tokenizerDir, seed: 1 });
    await writeRandomCheckpoint(c, { tokenizerDir, seed: 2 });
    const bytes = (d: string) => readFileSync(path.join(d, 'model.safetensors'));
    assert.ok(bytes(a).equals(bytes(b)), 'same seed, same bytes');
    assert.ok(!bytes(a).equals(bytes(c)), 'different seed, different weights');

    const ckpt = await loadCheckpoint(a);
    assert.deepEqual(ckpt.dims, WHISPER_PRESETS.micro);
    assert.equal(ckpt.weights.size, expectedTensorShapes(ckpt.dims).size - 1);
    assert.equal(ckpt.tokenizer.special.eot, 50256);
    const ln = ckpt.weights.get('model.encoder.layers.0.self_attn_layer_norm.weight')!.data;
    assert.ok(Math.abs(ln.reduce((s, x) => s + x, 0) / ln.length - 1) < 0.02);
    const w = ckpt.weights.get('model.decoder.layers.1.fc2.weight')!.data;
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    assert.ok(std > 0.018 && std < 0.022, `std ${std}`);
    const pos = ckpt.weights.get('model.encoder.embed_positions.weight')!.data;
    assert.equal(pos[64 + 0], Math.fround(Math.sin(1))); // t=1, channel 0: sin(1·exp(0))
    assert.equal(pos[64 + 32], Math.fround(Math.cos(1))); // cos half starts at d/2
  });
});

test('multilingual F16 in 3 shards with proj_out: special ids re-laid at the multilingual ids', { skip }, async () => {
  await withDir(async (dir) => {
    const out = await writeRandomCheckpoint(dir, { tokenizerDir, multilingual: true, dtype: 'F16', shards: 3, storeProjOut: true });
    assert.deepEqual(out.files, [
      'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
    assert.equal(Object.keys(index.weight_map).length, 90);
    const ckpt = await loadCheckpoint(dir);
    assert.equal(ckpt.dims.nVocab, 51865);
    assert.equal(ckpt.weights.get('proj_out.weight')!.dtype, 'F16');
    const tok = ckpt.tokenizer;
    assert.equal(tok.isMultilingual, true);
    assert.deepEqual(tok.special, {
      eot: 50257, sot: 50258, translate: 50358, transcribe: 50359, sotLm: 50360, sotPrev: 50361,
      noSpeech: 50362, noTimestamps: 50363, timestampBegin: 50364,
    });
    assert.equal(tok.languages.length, 99);
    assert.equal(tok.vocabSize, 51865);
    // HF test_tokenization_whisper prefixes: Spanish/translate and English/transcribe.
    assert.deepEqual(tok.sotSequence({ language: 'es', task: 'translate' }), [50258, 50262, 50358, 50363]);
    assert.deepEqual(tok.sotSequence({ language: 'en' }), [50258, 50259, 50359, 50363]);
    assert.equal(tok.decode([50258, 50259, 50359, 50363, 464, 2068, 50257]), '<|startoftranscript|><|en|><|transcribe|><|notimestamps|>The quick<|endoftext|>');
    assert.equal(ckpt.generation.langToId['<|en|>'], 50259);
  });
});

test('large-v3 layout (128 mels, 51866 tokens, BF16) at micro width', { skip }, async () => {
  await withDir(async (dir) => {
    await writeRandomCheckpoint(dir, { tokenizerDir, multilingual: true, nMels: 128, dtype: 'BF16' });
    const ckpt = await loadCheckpoint(dir);
    assert.equal(ckpt.dims.nVocab, 51866);
    assert.deepEqual(ckpt.weights.get('model.encoder.conv1.weight')!.shape, [64, 128, 3]);
    assert.equal(ckpt.tokenizer.languageId('yue'), 50358);
    assert.equal(ckpt.tokenizer.special.noTimestamps, 50364);
    assert.equal(ckpt.tokenizer.special.timestampBegin, 50365);
    assert.equal(ckpt.generation.noTimestampsTokenId, 50364);
  });
});

test('writes whisper-tiny dims (37.8 M parameters, F16) in seconds and loads them back', { skip }, async () => {
  await withDir(async (dir) => {
    const t0 = performance.now();
    const out = await writeRandomCheckpoint(dir, { tokenizerDir, preset: 'tiny', dtype: 'F16' });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(out.parameters, 37_760_640);
    assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
    const ckpt = await loadCheckpoint(dir);
    assert.deepEqual(ckpt.weights.get('model.decoder.embed_tokens.weight')!.shape, [51865, 384]);
    assert.equal(ckpt.weights.size, 167);
  });
});
