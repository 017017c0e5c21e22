/**
 * Adapters on the float32 fixture model (wasm backend): LoRA at step 0 is exactly the base; the
 * merged HF export gives the logits of base + adapter hook; --adapter-scale 0 is exactly the base
 * for both adapter forms, 1 is as trained, 0.5 is the half-way blend; the tensor count is flat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import type { WhisperModel } from '../../../src-main/whisper/model.ts';
import { loadCheckpoint } from '../../../src-main/whisper/checkpoint.ts';
import { readSafetensors, writeSafetensors } from '../../../src-main/whisper/safetensors.ts';
import { DEFAULT_LORA, LoraAdapter } from '../../../src-main/tuning/lora.ts';
import { readPeftAdapter, writePeftAdapter } from '../../../src-main/tuning/peft.ts';
import { applyAdapterDir } from '../../../src-main/tuning/apply-adapter.ts';
import { exportHf, exportPeft } from '../../../src-main/tuning/export.ts';
import { MICRO_F32, NEEDS_REFERENCE, REFERENCE, maxDiff, readF32 } from '../../helpers/reference.ts';

const CTX = 16;

/**
 * The fixture with its audio context cut from 1500 to CTX positions (config max_source_positions
 * and the encoder's positional table; every other weight as is), so an encoder pass takes
 * milliseconds instead of seconds. Nothing tested here depends on the context length.
 */
async function shortFixture(dir: string): Promise<string> {
  mkdirSync(dir);
  for (const f of readdirSync(MICRO_F32)) if (f !== 'config.json' && f !== 'model.safetensors') copyFileSync(join(MICRO_F32, f), join(dir, f));
  const cfg = JSON.parse(readFileSync(join(MICRO_F32, 'config.json'), 'utf8'));
  cfg.max_source_positions = CTX;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
  const w = await readSafetensors(join(MICRO_F32, 'model.safetensors'));
  const pos = w.get('model.encoder.embed_positions.weight');
  if (pos) w.set('model.encoder.embed_positions.weight', { ...pos, shape: [CTX, pos.shape[1]], data: pos.data.slice(0, CTX * pos.shape[1]) });
  await writeSafetensors(join(dir, 'model.safetensors'), new Map([...w].map(([n, t]) => [n, { shape: t.shape, data: t.data }])));
  return dir;
}

/** The first 2·CTX frames of the jfk mel [80, 3000] → [1, 80, 2·CTX]. */
function shortMel(): tf.Tensor3D {
  const full = readF32(`${REFERENCE}/mel/jfk-30s-80.f32`);
  const out = new Float32Array(80 * 2 * CTX);
  for (let m = 0; m < 80; m++) out.set(full.subarray(m * 3000, m * 3000 + 2 * CTX), m * 2 * CTX);
  return tf.tensor3d(out, [1, 80, 2 * CTX]);
}

/** Exact equality, element by element (not a tolerance). */
function same(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

test('LoRA step 0 = base exactly; merged export = base + hook (1e-4); adapter scale 0 / 0.5 / 1 for PEFT and merged folders', { skip: NEEDS_REFERENCE }, async () => {
  await initBackend('wasm');
  const root = mkdtempSync(join(tmpdir(), 'vt-adapter-'));
  const peftDir = join(root, 'peft');
  const mergedDir = join(root, 'merged');
  const MICRO = await shortFixture(join(root, 'micro-short'));
  const base = await loadWhisper(MICRO);
  const dims = base.checkpoint.dims;
  const mel = shortMel();
  const ids = tf.tensor2d([[50257, 50362, 843, 523, 616, 3988, 1351]], undefined, 'int32');
  const logitsOf = (m: WhisperModel): Float32Array =>
    tf.tidy(() => {
      const out = m.decodeFull(ids, m.encode(mel)).dataSync() as Float32Array;
      return Float32Array.from(out);
    });
  const baseLogits = logitsOf(base.model);

  // Encoder and decoder q/v, so the hook runs through both stacks.
  const adapter = new LoraAdapter({ ...DEFAULT_LORA, stacks: ['encoder', 'decoder'] }, dims, 5);
  const count0 = tf.memory().numTensors;

  // (a) step 0: B = 0, so the hook adds exact zeros.
  const withHook = base.model.withState({ hook: adapter.hook() });
  assert.ok(same(logitsOf(withHook), baseLogits), 'LoRA at step 0 must give exactly the base logits');

  let i = 0;
  for (const p of adapter.modules.values()) tf.tidy(() => p.B.assign(tf.randomNormal(p.B.shape, 0, 0.05, 'float32', 100 + i++)));
  const hooked = logitsOf(withHook);
  adapter.runtimeScale = 0.5;
  const hookedHalf = logitsOf(withHook);
  adapter.runtimeScale = 1;
  assert.ok(same(logitsOf(base.model), baseLogits), 'the base view is untouched by a state over the same weights');
  const moved = maxDiff(hooked, baseLogits).diff;
  console.log(`adapter moves logits by max|Δ| ${moved.toExponential(2)}`);
  assert.ok(moved > 1e-2, 'the random adapter must change the logits visibly');

  // (b) PEFT export → merged HF export → loaded back like any checkpoint.
  await writePeftAdapter(adapter, peftDir, { baseModel: 'whisper-micro-en', dims });
  const res = await exportHf({ modelDir: MICRO, adapter: peftDir, out: mergedDir });
  assert.equal(res.adapter_kind, 'peft');
  for (const f of ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'vocab.json', 'merges.txt', 'model.safetensors']) {
    assert.ok(existsSync(join(mergedDir, f)), `merged folder has ${f}`);
  }
  assert.ok(!readdirSync(root).some((f) => f.endsWith('.tmp')), 'no temporary folder left behind');
  const ckpt = await loadCheckpoint(mergedDir);
  assert.ok(!ckpt.weights.has('proj_out.weight'), 'tied output left out, as HF does');
  assert.equal(JSON.parse(readFileSync(join(mergedDir, 'config.json'), 'utf8')).tie_word_embeddings, true);
  const merged = await loadWhisper(mergedDir);
  const mergedLogits = logitsOf(merged.model);
  const mb = maxDiff(mergedLogits, hooked);
  console.log(`merged vs base + hook: max|Δ| ${mb.diff.toExponential(2)} (logit scale ${mb.scale.toFixed(2)})`);
  assert.ok(mb.diff <= 1e-4, `merged export differs from base + adapter by ${mb.diff}`);
  merged.model.dispose();

  // (d) PEFT folder through applyAdapterDir: 0 exact base, 1 as the trained hook, 0.5 as the half hook.
  let applied = await applyAdapterDir(base, peftDir, 0);
  assert.equal(applied.model.state.hook, undefined, 'scale 0 installs nothing');
  assert.ok(same(logitsOf(applied.model), baseLogits), '--adapter-scale 0 (PEFT) must give exactly the base logits');
  applied.dispose();
  applied = await applyAdapterDir(base, peftDir, 1);
  assert.equal(applied.changed, adapter.modules.size);
  assert.ok(maxDiff(logitsOf(applied.model), hooked).diff <= 1e-5, 'PEFT at scale 1 = the trained adapter');
  applied.dispose();
  applied = await applyAdapterDir(base, peftDir, 0.5);
  assert.ok(maxDiff(logitsOf(applied.model), hookedHalf).diff <= 1e-5, 'PEFT at scale 0.5 = the adapter at runtime scale 0.5');
  applied.dispose();
  assert.ok(same(logitsOf(base.model), baseLogits), 'the loaded model is still the base');

  // Merged folder: 0 exact base, 1 exactly the merged model, 0.5 the half-way blend — all states
  // over the one loaded base, which no blend changes.
  applied = await applyAdapterDir(base, mergedDir, 0);
  assert.equal(applied.changed, 0);
  assert.ok(same(logitsOf(applied.model), baseLogits), '--adapter-scale 0 (merged folder) must give exactly the base logits');
  const one = await applyAdapterDir(base, mergedDir, 1);
  assert.ok(same(logitsOf(one.model), mergedLogits), 'scale 1 uses the merged tensors as stored');
  one.dispose();
  const half = await applyAdapterDir(base, mergedDir, 0.5);
  const halfLogits = logitsOf(half.model);
  half.dispose();
  assert.ok(same(logitsOf(base.model), baseLogits), 'merging and blending never change the base weights');
  // For a LoRA merge, base + ½(merged − base) = base + ½ΔW: the same model as the hook at ½.
  const hh = maxDiff(halfLogits, hookedHalf).diff;
  assert.ok(hh <= 1e-4, `merged at 0.5 vs hook at 0.5: ${hh}`);
  const dHalf = maxDiff(halfLogits, baseLogits).diff;
  const dFull = maxDiff(mergedLogits, baseLogits).diff;
  console.log(`scale 0.5 moves logits ${dHalf.toExponential(2)}, scale 1 ${dFull.toExponential(2)}`);
  assert.ok(dHalf > 0 && dHalf < dFull, 'scale 0.5 lies between base and tuned');

  assert.equal(tf.memory().numTensors, count0, 'tensor count flat across loads, hooks and blends');
  tf.dispose([mel, ids]);
  base.model.dispose();
  adapter.dispose();
  rmSync(root, { recursive: true, force: true });
});

test('export: PEFT at a scale multiplies B; a merged folder is refused for PEFT; F16 merged export loads', { skip: NEEDS_REFERENCE }, async () => {
  await initBackend('wasm');
  const root = mkdtempSync(join(tmpdir(), 'vt-export-'));
  const dims = (await loadCheckpoint(MICRO_F32)).dims;
  const adapter = new LoraAdapter(DEFAULT_LORA, dims, 9);
  let i = 0;
  for (const p of adapter.modules.values()) tf.tidy(() => p.B.assign(tf.randomNormal(p.B.shape, 0, 0.05, 'float32', 200 + i++)));
  const src = join(root, 'src');
  await writePeftAdapter(adapter, src, { baseModel: '/somewhere/else', dims });
  await exportPeft({ modelDir: MICRO_F32, adapter: src, out: join(root, 'half'), scale: 0.5 });
  const a = await readPeftAdapter(src, dims);
  const h = await readPeftAdapter(join(root, 'half'), dims);
  for (const [m, p] of a.pairs) {
    assert.deepEqual(h.pairs.get(m)!.A.data, p.A.data);
    assert.deepEqual(h.pairs.get(m)!.B.data, p.B.data.map((v) => v * 0.5));
  }
  assert.equal(h.config.target_modules, a.config.target_modules);

  const f16 = join(root, 'f16');
  await exportHf({ modelDir: MICRO_F32, adapter: src, out: f16, dtype: 'F16' });
  const ck = await loadCheckpoint(f16);
  assert.equal(ck.weights.get('model.decoder.layers.0.self_attn.q_proj.weight')!.dtype, 'F16');
  assert.equal(JSON.parse(readFileSync(join(f16, 'config.json'), 'utf8')).torch_dtype, 'float16');

  await assert.rejects(exportPeft({ modelDir: MICRO_F32, adapter: f16, out: join(root, 'x') }), (e: any) => e.code === 'ADAPTER_NOT_LORA' && /--format hf/.test(e.message));
  await assert.rejects(exportHf({ modelDir: MICRO_F32, adapter: src, out: f16 }), (e: any) => e.code === 'OUTPUT_EXISTS');
  const base = await loadWhisper(MICRO_F32);
  // A tuning run's folder stands for its best checkpoint.
  const run = join(root, 'run');
  mkdirSync(run);
  writeFileSync(join(run, 'run.json'), '{}');
  await assert.rejects(applyAdapterDir(base, run, 1), (e: any) => e.code === 'ADAPTER_INVALID');
  await writePeftAdapter(adapter, join(run, 'best'), { baseModel: 'x', dims });
  const viaRun = await applyAdapterDir(base, run, 1);
  assert.equal(viaRun.dir, join(run, 'best'));
  assert.equal(viaRun.kind, 'peft');
  viaRun.dispose();
  await assert.rejects(applyAdapterDir(base, root, 1), (e: any) => e.code === 'ADAPTER_INVALID' && /adapter_config\.json/.test(e.message));
  base.model.dispose();
  adapter.dispose();
  rmSync(root, { recursive: true, force: true });
});
