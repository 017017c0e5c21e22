/**
 * The per-module change report on constructed perturbations whose answers are worked out by hand,
 * the LoRA form (ΔW = scaling·B·A) against the same change merged into the weights, the group
 * order, and the CLI table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { WhisperDims } from '../../../src-main/whisper/config.ts';
import { expectedTensorShapes } from '../../../src-main/whisper/checkpoint.ts';
import { changeReport, formatChangeReport, loraChangeReport, lowRankNorm2, type ModuleChange } from '../../../src-main/tuning/change-report.ts';
import { mergeLora } from '../../../src-main/tuning/merge.ts';
import type { HostTensor } from '../../../src-main/tuning/peft.ts';

const DIMS: WhisperDims = {
  nMels: 8, nAudioCtx: 6, nAudioState: 8, nAudioHead: 2, nAudioLayer: 2, nTextCtx: 5,
  nTextState: 8, nTextHead: 2, nTextLayer: 2, nVocab: 11, nAudioFfn: 16, nTextFfn: 16,
};

/** Deterministic weights, every value non-zero (tied output: no proj_out). */
function weights(): Map<string, HostTensor> {
  const m = new Map<string, HostTensor>();
  let seed = 1;
  for (const [name, shape] of expectedTensorShapes(DIMS)) {
    if (name === 'proj_out.weight') continue;
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(seed++ * 12.9898) * 0.5 + 0.01;
    m.set(name, { shape, data });
  }
  return m;
}

const norm2 = (t: HostTensor) => t.data.reduce((a, v) => a + v * v, 0);
const row = (rows: ModuleChange[], g: string) => rows.find((r) => r.group === g) ?? assert.fail(`no row ${g}`);

test('only decoder layer 1 fc1 scaled by 1.1: that row is 0.1·‖fc1‖/‖mlp group‖, every other row 0', () => {
  const base = weights();
  const tuned = new Map(base);
  const fc1 = base.get('model.decoder.layers.1.fc1.weight')!;
  tuned.set('model.decoder.layers.1.fc1.weight', { shape: fc1.shape, data: fc1.data.map((v) => v * 1.1) });
  const rows = changeReport(base, tuned);

  const group = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'].map((s) => norm2(base.get(`model.decoder.layers.1.${s}`)!));
  const want = (0.1 * Math.sqrt(norm2(fc1))) / Math.sqrt(group.reduce((a, b) => a + b));
  const mlp = row(rows, 'decoder.layers.1.mlp');
  assert.ok(Math.abs(mlp.relative! - want) < 1e-6 * want, `${mlp.relative} vs ${want}`);
  assert.equal(mlp.params, 16 * 8 + 16 + 8 * 16 + 8);
  assert.equal(mlp.stack, 'decoder');
  assert.equal(mlp.layer, 1);
  for (const r of rows) if (r !== mlp) assert.equal(r.relative, 0, r.group);

  assert.deepEqual(rows.map((r) => r.group), [
    'encoder.conv1', 'encoder.conv2', 'encoder.embed_positions',
    'encoder.layers.0.self_attn', 'encoder.layers.0.mlp', 'encoder.layers.0.layer_norms',
    'encoder.layers.1.self_attn', 'encoder.layers.1.mlp', 'encoder.layers.1.layer_norms',
    'encoder.layer_norm',
    'decoder.embed_tokens', 'decoder.embed_positions',
    'decoder.layers.0.self_attn', 'decoder.layers.0.cross_attn', 'decoder.layers.0.mlp', 'decoder.layers.0.layer_norms',
    'decoder.layers.1.self_attn', 'decoder.layers.1.cross_attn', 'decoder.layers.1.mlp', 'decoder.layers.1.layer_norms',
    'decoder.layer_norm',
  ]);
  assert.equal(rows.reduce((a, r) => a + r.params, 0), [...base.values()].reduce((a, t) => a + t.data.length, 0), 'every parameter in one group');
});

test('two tensors of a group, device tensors mixed with host arrays; an untied output row', async () => {
  await tf.setBackend('cpu');
  const base = weights();
  const before = tf.memory().numTensors;
  const dev = new Map<string, tf.Tensor | HostTensor>();
  for (const [n, t] of base) dev.set(n, tf.tensor(t.data, t.shape));
  // encoder layer 0 LayerNorms: γ of self_attn_layer_norm += 1 everywhere (8 values), β of final_layer_norm −= 0.5.
  const tuned = new Map<string, tf.Tensor | HostTensor>(base);
  const g = base.get('model.encoder.layers.0.self_attn_layer_norm.weight')!;
  const b = base.get('model.encoder.layers.0.final_layer_norm.bias')!;
  tuned.set('model.encoder.layers.0.self_attn_layer_norm.weight', { shape: g.shape, data: g.data.map((v) => v + 1) });
  tuned.set('model.encoder.layers.0.final_layer_norm.bias', tf.tensor(b.data.map((v) => v - 0.5), b.shape));
  const embed = base.get('model.decoder.embed_tokens.weight')!;
  tuned.set('proj_out.weight', { shape: embed.shape, data: embed.data.map((v) => v * 0.5) }); // untied, halved
  const rows = changeReport(dev, tuned);
  const ln = ['self_attn_layer_norm.weight', 'self_attn_layer_norm.bias', 'final_layer_norm.weight', 'final_layer_norm.bias']
    .reduce((a, s) => a + norm2(base.get(`model.encoder.layers.0.${s}`)!), 0);
  const want = Math.sqrt(8 * 1 + 8 * 0.25) / Math.sqrt(ln);
  assert.ok(Math.abs(row(rows, 'encoder.layers.0.layer_norms').relative! - want) < 1e-5 * want);
  const out = row(rows, 'output');
  assert.equal(rows.at(-1), out, 'output last');
  assert.ok(Math.abs(out.relative! - 0.5) < 1e-6, 'proj_out vs the tied embedding it replaces');
  assert.equal(row(rows, 'decoder.embed_tokens').relative, 0);
  tf.dispose([...dev.values()] as tf.Tensor[]);
  tf.dispose(tuned.get('model.encoder.layers.0.final_layer_norm.bias') as tf.Tensor);
  assert.equal(tf.memory().numTensors, before, 'tensor count flat');
});

test('LoRA report: ΔW = scaling·B·A, equal to the report of the merged weights; Gram-trick norm exact', () => {
  const base = weights();
  const A = (r: number, c: number, k: number): HostTensor => ({ shape: [r, c], data: Float32Array.from({ length: r * c }, (_, i) => Math.cos(i * 0.7 + k)) });
  const pairs = new Map([
    ['model.decoder.layers.0.self_attn.q_proj', { A: A(2, 8, 1), B: A(8, 2, 2) }],
    ['model.decoder.layers.1.encoder_attn.v_proj', { A: A(2, 8, 3), B: A(8, 2, 4) }],
  ]);
  const scaling = 0.25;
  const lora = loraChangeReport(base, { scaling, pairs });
  const merged = changeReport(base, mergeLora(base, pairs, scaling));
  assert.equal(lora.length, merged.length);
  for (let i = 0; i < lora.length; i++) {
    assert.equal(lora[i].group, merged[i].group);
    assert.ok(Math.abs(lora[i].relative! - merged[i].relative!) <= 1e-5 * Math.max(1e-3, merged[i].relative!), `${lora[i].group}: ${lora[i].relative} vs ${merged[i].relative}`);
  }
  assert.ok(row(lora, 'decoder.layers.0.self_attn').relative! > 0);
  assert.ok(row(lora, 'decoder.layers.1.cross_attn').relative! > 0);
  assert.equal(row(lora, 'decoder.layers.0.cross_attn').relative, 0);
  assert.equal(row(lora, 'encoder.conv1').relative, 0);

  // Rank 1: ‖b·aᵀ‖ = ‖a‖·‖b‖.
  const a = { shape: [1, 3], data: Float32Array.of(1, 2, 2) };
  const bb = { shape: [2, 1], data: Float32Array.of(3, 4) };
  assert.equal(lowRankNorm2(a, bb), 9 * 25);
});

test('formatChangeReport: one line per group in model order, the largest change gets the full bar', () => {
  const base = weights();
  const tuned = new Map(base);
  const w = base.get('model.decoder.layers.1.fc2.weight')!;
  tuned.set('model.decoder.layers.1.fc2.weight', { shape: w.shape, data: w.data.map((v) => v * 1.2) });
  const q = base.get('model.encoder.layers.0.self_attn.q_proj.weight')!;
  tuned.set('model.encoder.layers.0.self_attn.q_proj.weight', { shape: q.shape, data: q.data.map((v) => v * 1.01) });
  const text = formatChangeReport(changeReport(base, tuned), 20);
  console.log(text);
  const lines = text.split('\n');
  const top = lines.find((l) => l.startsWith('decoder.layers.1.mlp'))!;
  assert.ok(top.endsWith('█'.repeat(20)), top);
  const small = lines.find((l) => l.startsWith('encoder.layers.0.self_attn'))!;
  assert.match(small, /\d\.\d\d%/);
  assert.ok(!small.includes('██'), 'a small change gets a short bar');
  assert.ok(lines.findIndex((l) => l.startsWith('encoder.conv1')) < lines.findIndex((l) => l.startsWith('decoder.embed_tokens')));
});
