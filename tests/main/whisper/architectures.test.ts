/**
 * Any Whisper-architecture checkpoint in Hugging Face layout, not only the fixture:
 *  - the fixture re-stored differently (F16, sharded, proj_out stored) still gives the golden
 *    teacher-forced log-probs;
 *  - random checkpoints of other shapes (width, heads, layers, 128 mels, multilingual vocabulary)
 *    give the same log-probs through the KV-cache path as through the full decoder, and the probe
 *    runs with `--language en` on the multilingual one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { KVCache } from '../../../src-main/whisper/model.ts';
import { probeTranscript } from '../../../src-main/whisper/probe.ts';
import { readSafetensors, writeSafetensors } from '../../../src-main/whisper/safetensors.ts';
import { writeRandomCheckpoint } from '../../../src-main/whisper/random-checkpoint.ts';
import { JFK_TEXT, MICRO_F32, NEEDS_REFERENCE, REFERENCE, maxDiff, readF32, readGolden } from '../../helpers/reference.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'vt-arch-'));

async function goldenProbe(dir: string): Promise<number> {
  const w = await loadWhisper(dir);
  const g = readGolden('whisper-micro-en');
  const audio = tf.tidy(() => w.model.encode(tf.tensor3d(readF32(`${REFERENCE}/mel/jfk-30s-80.f32`), [1, 80, 3000])));
  const p = await probeTranscript(w.model, w.tokenizer, audio, JFK_TEXT);
  audio.dispose();
  w.model.dispose();
  return maxDiff(p.tokens.map((t) => t.logprob), g.teacher_forced_logprob_of_next_token.slice(1)).diff;
}

test('the fixture stored as F16, in 3 shards, with proj_out stored, reproduces the golden log-probs', { skip: NEEDS_REFERENCE }, async () => {
  await initBackend('wasm');
  const weights = await readSafetensors(join(MICRO_F32, 'model.safetensors'));
  // proj_out stored explicitly (equal to the embedding, as an untied export of a tied model would be).
  const withProj = new Map([...weights].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
  withProj.set('proj_out.weight', { ...withProj.get('model.decoder.embed_tokens.weight')! });
  const dir = tmp();
  cpSync(MICRO_F32, dir, { recursive: true });
  await writeSafetensors(join(dir, 'model.safetensors'), withProj);
  const d1 = await goldenProbe(dir);
  console.log(`proj_out stored: max |Δ log-prob| ${d1.toExponential(2)}`);
  assert.ok(d1 <= 2e-3);

  // Sharded with an index, F16 storage: compare with the F16 golden values.
  const sharded = tmp();
  cpSync(MICRO_F32, sharded, { recursive: true, filter: (src) => !src.endsWith('model.safetensors') });
  const names = [...weights.keys()];
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < 3; s++) {
    const file = `model-0000${s + 1}-of-00003.safetensors`;
    const part = new Map(names.filter((_, i) => i % 3 === s).map((n) => [n, { ...weights.get(n)!, dtype: 'F16' as const }]));
    for (const n of part.keys()) weightMap[n] = file;
    await writeSafetensors(join(sharded, file), part);
  }
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(sharded, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  const w = await loadWhisper(sharded);
  const g16 = readGolden('whisper-micro-en-f16');
  const audio = tf.tidy(() => w.model.encode(tf.tensor3d(readF32(`${REFERENCE}/mel/jfk-30s-80.f32`), [1, 80, 3000])));
  const p = await probeTranscript(w.model, w.tokenizer, audio, JFK_TEXT);
  const d2 = maxDiff(p.tokens.map((t) => t.logprob), g16.teacher_forced_logprob_of_next_token.slice(1)).diff;
  console.log(`F16, 3 shards: max |Δ log-prob| vs the F16 golden ${d2.toExponential(2)}`);
  assert.ok(d2 <= 2e-3);
  audio.dispose();
  w.model.dispose();
});

const SHAPES = [
  { name: 'wider, 3 heads, 1+3 layers', opts: { dims: { nAudioState: 96, nTextState: 96, nAudioHead: 3, nTextHead: 3, nAudioLayer: 1, nTextLayer: 3, nAudioFfn: 384, nTextFfn: 384 } } },
  { name: '128 mels, multilingual vocabulary, F16', opts: { nMels: 128 as const, multilingual: true, dtype: 'F16' as const } },
  { name: 'stored proj_out, BF16, 2 shards', opts: { storeProjOut: true, dtype: 'BF16' as const, shards: 2 } },
];

for (const s of SHAPES) {
  test(`random checkpoint (${s.name}): KV-cache decoding agrees with the full decoder; probe runs`, { skip: NEEDS_REFERENCE }, async () => {
    await initBackend('wasm');
    const dir = tmp();
    await writeRandomCheckpoint(dir, { tokenizerDir: join(REFERENCE, 'tokenizer'), preset: 'micro', seed: 3, ...s.opts } as never);
    const w = await loadWhisper(dir);
    const before = tf.memory().numTensors;
    const { nMels } = w.model.dims;
    const mel = tf.randomNormal([1, nMels, 3000], 0, 1, 'float32', 5) as tf.Tensor3D;
    const audio = w.model.encode(mel);
    const prefix = w.tokenizer.sotSequence({ language: w.tokenizer.isMultilingual ? 'en' : undefined, timestamps: false });
    const ids = [...prefix, ...w.tokenizer.encode(' PyTorch and CUDA on the GPU.')];
    const full = tf.tidy(() => w.model.decodeFull(tf.tensor2d([ids], [1, ids.length], 'int32'), audio));
    const cache = new KVCache(w.model.dims.nTextLayer);
    const stepRows: Float32Array[] = [];
    // Prefix in one pass, then one token at a time, as decoding does.
    const prefixIds = tf.tensor2d([ids.slice(0, prefix.length)], [1, prefix.length], 'int32');
    const first = w.model.decodeStep(prefixIds, audio, cache);
    stepRows.push(first.dataSync() as Float32Array);
    tf.dispose([prefixIds, first]);
    for (let i = prefix.length; i < ids.length; i++) {
      const t = tf.tensor2d([[ids[i]]], [1, 1], 'int32');
      const row = w.model.decodeStep(t, audio, cache);
      stepRows.push(row.dataSync() as Float32Array);
      tf.dispose([t, row]);
    }
    cache.dispose();
    const v = full.shape[2];
    const fullData = full.dataSync();
    let worst = 0;
    stepRows.forEach((row, k) => {
      const pos = prefix.length - 1 + k;
      worst = Math.max(worst, maxDiff(row, fullData.subarray(pos * v, (pos + 1) * v)).diff);
    });
    console.log(`${s.name}: vocab ${v}, KV-cache vs full decoder max |Δ logit| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4);
    const p = await probeTranscript(w.model, w.tokenizer, audio, ' PyTorch and CUDA.', { language: 'en', terms: ['PyTorch'] });
    assert.equal(p.tokens.at(-1)!.id, w.tokenizer.special.eot);
    assert.ok(p.tokens.every((t) => Number.isFinite(t.logprob) && t.logprob <= 0));
    tf.dispose([mel, audio, full]);
    assert.equal(tf.memory().numTensors, before);
    w.model.dispose();
  });
}
