/**
 * PEFT adapter files: names, shapes, metadata and config keys as PEFT writes them (the header is
 * parsed here by hand, not with our reader), target_modules that PEFT would match exactly our
 * modules, a lossless round trip, and clear ADAPTER_INVALID errors for damaged folders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { WhisperDims } from '../../../src-main/whisper/config.ts';
import { writeSafetensors } from '../../../src-main/whisper/safetensors.ts';
import { DEFAULT_LORA, LoraAdapter, linearModules } from '../../../src-main/tuning/lora.ts';
import { peftTargetModules, pythonJson, readPeftAdapter, writePeftAdapter } from '../../../src-main/tuning/peft.ts';

const DIMS: WhisperDims = {
  nMels: 80, nAudioCtx: 1500, nAudioState: 64, nAudioHead: 2, nAudioLayer: 2, nTextCtx: 448,
  nTextState: 64, nTextHead: 2, nTextLayer: 2, nVocab: 51864, nAudioFfn: 256, nTextFfn: 256,
};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'vt-peft-'));
}

/** safetensors header by hand: u64 LE length, then JSON. */
function header(file: string): Record<string, any> {
  const b = readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  assert.equal(n % 8, 0, 'header padded to 8 bytes');
  return JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
}

/** Python's re.fullmatch for the patterns we write (JS and Python agree on this subset). */
function peftMatches(target: string[] | string, module: string): boolean {
  if (typeof target === 'string') return new RegExp(`^(?:${target})$`).test(module);
  return target.some((t) => module === t || module.endsWith('.' + t));
}

function randomB(a: LoraAdapter, seed: number): void {
  let i = 0;
  for (const p of a.modules.values()) tf.tidy(() => p.B.assign(tf.randomNormal(p.B.shape, 0, 0.02, 'float32', seed + i++)));
}

test('PEFT files: documented names, shapes, metadata and config keys; PEFT would adapt exactly our modules', async () => {
  await tf.setBackend('cpu');
  const dir = join(tmp(), 'adapter');
  const adapter = new LoraAdapter(DEFAULT_LORA, DIMS, 3);
  // Counted after construction: LoraAdapter's constructor leaves its initial values (reported to the lead).
  const before = tf.memory().numTensors;
  randomB(adapter, 7);
  await writePeftAdapter(adapter, dir, { baseModel: 'openai/whisper-tiny.en', dims: DIMS });

  const h = header(join(dir, 'adapter_model.safetensors'));
  assert.deepEqual(h.__metadata__, { format: 'pt' });
  const names = Object.keys(h).filter((k) => k !== '__metadata__').sort();
  const want: string[] = [];
  for (let i = 0; i < 2; i++) for (const att of ['encoder_attn', 'self_attn']) for (const p of ['q_proj', 'v_proj']) for (const ab of ['A', 'B']) {
    want.push(`base_model.model.model.decoder.layers.${i}.${att}.${p}.lora_${ab}.weight`);
  }
  assert.deepEqual(names, want.sort());
  assert.ok(names.includes('base_model.model.model.decoder.layers.0.self_attn.q_proj.lora_A.weight'));
  for (const n of names) {
    assert.equal(h[n].dtype, 'F32');
    assert.deepEqual(h[n].shape, n.includes('lora_A') ? [8, 64] : [64, 8], n);
  }

  const text = readFileSync(join(dir, 'adapter_config.json'), 'utf8');
  const cfg = JSON.parse(text);
  assert.equal(text, pythonJson(cfg), 'indent 2, sorted keys');
  assert.deepEqual(Object.keys(cfg), [...Object.keys(cfg)].sort());
  assert.equal(text.split('\n')[1], '  "alpha_pattern": {},');
  for (const [k, v] of Object.entries({
    peft_type: 'LORA', r: 8, lora_alpha: 16, lora_dropout: 0.05, bias: 'none', task_type: null, inference_mode: true,
    fan_in_fan_out: false, use_rslora: false, layers_to_transform: null, modules_to_save: null,
    base_model_name_or_path: 'openai/whisper-tiny.en', use_dora: false, init_lora_weights: true,
  })) assert.deepEqual(cfg[k], v, k);
  assert.equal(typeof cfg.target_modules, 'string', 'decoder-only: a regex, since a list would also hit the encoder');
  const all = [...linearModules(DIMS).keys()];
  const hit = all.filter((m) => peftMatches(cfg.target_modules, m));
  assert.deepEqual(hit.sort(), [...adapter.modules.keys()].sort());
  // The list PEFT users usually write would over-match: this is why we do not write it.
  assert.equal(all.filter((m) => peftMatches(['q_proj', 'v_proj'], m)).length, 12);

  const back = await readPeftAdapter(dir, DIMS);
  assert.equal(back.scaling, 2);
  assert.equal(back.pairs.size, adapter.modules.size);
  for (const [m, p] of adapter.modules) {
    const q = back.pairs.get(m)!;
    assert.deepEqual(q.A.shape, [8, 64]);
    assert.deepEqual(q.A.data, p.A.dataSync());
    assert.deepEqual(q.B.data, p.B.dataSync());
    assert.equal(q.scaling, 2);
  }
  assert.equal(tf.memory().numTensors, before, 'tensor count flat');
  adapter.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('pythonJson writes what json.dumps(indent=2, sort_keys=True) writes', () => {
  assert.equal(pythonJson({ b: 'é', a: [1, { d: null, c: {} }], e: [] }), '{\n  "a": [\n    1,\n    {\n      "c": {},\n      "d": null\n    }\n  ],\n  "b": "\\u00e9",\n  "e": []\n}');
});

test('target_modules: a plain list when it is exact, a regex otherwise, exact either way', () => {
  const all = [...linearModules(DIMS).keys()];
  const both = all.filter((m) => /\.(q_proj|v_proj)$/.test(m));
  assert.deepEqual(peftTargetModules(both, DIMS), ['q_proj', 'v_proj']);
  const decFc = all.filter((m) => /decoder.*\.fc[12]$/.test(m));
  const t = peftTargetModules(decFc, DIMS);
  assert.equal(typeof t, 'string');
  assert.deepEqual(all.filter((m) => peftMatches(t, m)), decFc);
  const mixed = ['model.encoder.layers.1.self_attn.k_proj', 'model.decoder.layers.0.encoder_attn.v_proj'];
  const t2 = peftTargetModules(mixed, DIMS);
  assert.deepEqual(all.filter((m) => peftMatches(t2, m)).sort(), [...mixed].sort());
});

test('readPeftAdapter: ADAPTER_INVALID naming file and tensor for damaged or foreign adapters', async () => {
  const root = tmp();
  const A = (r: number, i: number) => ({ shape: [r, i], data: new Float32Array(r * i) });
  const cfg = { peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj'] };
  const make = async (name: string, tensors: Record<string, { shape: number[]; data: Float32Array }>, config: object = cfg) => {
    const d = join(root, name);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(d);
    writeFileSync(join(d, 'adapter_config.json'), JSON.stringify(config));
    await writeSafetensors(join(d, 'adapter_model.safetensors'), tensors);
    return d;
  };
  const m = 'base_model.model.model.decoder.layers.0.self_attn.q_proj';
  const reject = async (dir: string, re: RegExp) => {
    await assert.rejects(readPeftAdapter(dir, DIMS), (e: any) => e.code === 'ADAPTER_INVALID' && re.test(e.message) || assert.fail(`${e.code}: ${e.message}`));
  };
  // Fits a 64-wide model, not a 128-wide one.
  const ok = await make('ok', { [`${m}.lora_A.weight`]: A(4, 64), [`${m}.lora_B.weight`]: A(64, 4) });
  assert.equal((await readPeftAdapter(ok, DIMS)).pairs.size, 1);
  await assert.rejects(readPeftAdapter(ok, { ...DIMS, nTextState: 128 }), /lora_A\.weight" has shape \[4, 64\]; the base model needs \[4, 128\]/);
  await reject(await make('noB', { [`${m}.lora_A.weight`]: A(4, 64) }), /lora_B\.weight" is missing/);
  await reject(await make('rank', { [`${m}.lora_A.weight`]: A(2, 64), [`${m}.lora_B.weight`]: A(64, 2) }), /rank 2 but adapter_config\.json says r=4/);
  await reject(await make('foreign', { [`${m}.lora_A.weight`]: A(4, 64), [`${m}.lora_B.weight`]: A(64, 4), 'base_model.model.proj_out.weight': A(2, 2) }), /proj_out\.weight" is not a LoRA matrix/);
  await reject(await make('notlinear', { 'base_model.model.model.decoder.layers.9.fc1.lora_A.weight': A(4, 64), 'base_model.model.model.decoder.layers.9.fc1.lora_B.weight': A(256, 4) }), /not a linear layer of this Whisper model/);
  await reject(await make('ia3', {}, { peft_type: 'IA3' }), /"peft_type" is "IA3"/);
  await reject(root, /adapter_config\.json: is missing/);
  rmSync(root, { recursive: true, force: true });
});
