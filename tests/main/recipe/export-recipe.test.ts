/**
 * The cluster recipe: recipe.json carries every field of the run's trainer config (and train.py
 * reads every field of recipe.json), the dataset folder has the trainer's splits with the same
 * clips in the same order, the Python parses (`python3 -m py_compile`), the accelerate YAML
 * parses, and `vocab-tuner export-recipe` works as a real process.
 *
 * What this cannot check here: running train.py (no torch / transformers / GPU on this machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { encodeWavPcm16, decodeWav } from '../../../src-main/audio/wav.ts';
import { formatCsvRow, parseCsv } from '../../../src-main/store/csv.ts';
import { defaultConfig, type TuneConfig } from '../../../src-main/tuning/config.ts';
import { readTrainingSet } from '../../../src-main/tuning/dataset.ts';
import { FIELDS, at, leafPaths, recipeConfig } from '../../../src-main/recipe/config.ts';
import { writeRecipeDataset } from '../../../src-main/recipe/dataset.ts';
import { MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TEMPLATES = path.join(ROOT, 'src-main/recipe/templates');
const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;

/** A config where every field differs from the defaults, so a mapping that drops one shows. */
function unusualConfig(): TuneConfig {
  const c = defaultConfig({ method: 'lora', lora: { rank: 16, alpha: 24, dropout: 0.1, targetModules: ['q_proj', 'k_proj', 'v_proj'], stacks: ['encoder', 'decoder'], useRslora: true }, freezeEncoderLayers: 3 });
  return {
    ...c, lr: 3e-4, schedule: 'cosine', warmupSteps: 7, steps: 123, epochs: 9, batchSize: 6, gradAccum: 3, maxGradNorm: 0.5, weightDecay: 0.02,
    regularizer: 'ewc', regWeight: 0.25, seed: 42, augment: { variants: 5, speed: false, volume: true, noise: false, specAugment: true },
    evalEvery: 11, checkpointEvery: 13, patience: 4, evalDecode: false, guardMaxLossDrift: 0.3, terms: ['PyTorch', 'CUDA'], language: 'de', maxMicroBatch: 2,
  };
}

test('recipe.json carries every field of the run config, value for value', () => {
  for (const c of [unusualConfig(), defaultConfig()]) {
    const r = recipeConfig(c, 'openai/whisper-base.en');
    const paths = leafPaths(c);
    for (const p of paths) {
      const f = FIELDS[p];
      assert.ok(f, `trainer config field "${p}" has no recipe.json field (add it to FIELDS and train.py)`);
      const want = at(c, p);
      assert.deepEqual(at(r, f.to), want === undefined && f.absent === 'null' ? null : want, `${p} → ${f.to}`);
    }
    // Optional fields absent from this config still map (to null).
    for (const [p, f] of Object.entries(FIELDS)) if (!paths.includes(p)) assert.equal(at(r, f.to), null, `${p} absent → ${f.to} null`);
    assert.equal(r.base_model, 'openai/whisper-base.en');
    assert.deepEqual([r.adam_beta1, r.adam_beta2, r.adam_epsilon], [0.9, 0.999, 1e-8]);
  }
  // PEFT's target_modules: the default adapts only the decoder's q/v, so a plain ["q_proj",
  // "v_proj"] list (which PEFT matches in the encoder too) must not be written.
  assert.equal(recipeConfig(defaultConfig(), 'm').lora.target_modules, '.*decoder\\.layers\\.\\d+\\.(encoder_attn\\.q_proj|encoder_attn\\.v_proj|self_attn\\.q_proj|self_attn\\.v_proj)');
  assert.deepEqual(recipeConfig(unusualConfig(), 'm').lora.target_modules, ['k_proj', 'q_proj', 'v_proj']);
});

test('train.py and its modules read every recipe.json field', () => {
  const py = ['train.py', 'vt_data.py', 'vt_model.py'].map((f) => readFileSync(path.join(TEMPLATES, f), 'utf8')).join('\n');
  const r = recipeConfig(unusualConfig(), 'm');
  const informational = new Set(['format', 'lora.targets', 'lora.stacks']); // target_modules says it for PEFT
  for (const p of leafPaths(r)) {
    if (informational.has(p)) continue;
    const key = p.split('.').pop()!;
    assert.match(py, new RegExp(`\\["${key}"\\]`), `recipe.json field ${p} is never read by train.py`);
  }
});

/** 0.4 s tone WAVs at 44.1 kHz (so the recipe's 16 kHz rewrite is exercised). */
function tone(file: string, hz: number): void {
  const sr = 44100;
  const x = new Float32Array(Math.round(sr * 0.4)).map((_, i) => 0.3 * Math.sin((2 * Math.PI * hz * i) / sr));
  writeFileSync(file, encodeWavPcm16(x, sr));
}

test('the dataset folder has the trainer\'s splits, clips and order; the guard set in test/', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vt-recipe-ds-'));
  try {
    // With a split column (incl. general), and without one (the trainer's 15 % hash rule).
    const withSplit = path.join(tmp, 'with-split');
    mkdirSync(withSplit);
    const rows: string[][] = [['file_name', 'transcription', 'split']];
    const splits = ['train', 'train', 'validation', 'test', 'general', 'train', 'validation', 'general'];
    splits.forEach((s, i) => {
      tone(path.join(withSplit, `a${i}.wav`), 200 + 50 * i);
      rows.push([`a${i}.wav`, i % 2 ? `I use PyTorch, take ${i}.` : `Plain words "${i}"`, s]);
    });
    writeFileSync(path.join(withSplit, 'metadata.csv'), rows.map(formatCsvRow).join(''));
    const noSplit = path.join(tmp, 'no-split');
    mkdirSync(noSplit);
    const rows2: string[][] = [['file_name', 'transcription']];
    for (let i = 0; i < 30; i++) {
      tone(path.join(noSplit, `b${i}.wav`), 300 + 10 * i);
      rows2.push([`b${i}.wav`, `Sentence ${i}.`]);
    }
    writeFileSync(path.join(noSplit, 'metadata.csv'), rows2.map(formatCsvRow).join(''));

    for (const src of [withSplit, noSplit]) {
      const out = path.join(tmp, `out-${path.basename(src)}`);
      const summary = await writeRecipeDataset(src, out, ['PyTorch']);
      const ours = await readTrainingSet(src);
      const read = (s: string) => parseCsv(readFileSync(path.join(out, s, 'metadata.csv'), 'utf8')).slice(1);
      const train = read('train');
      const validation = read('validation');
      const testRows = read('test');
      assert.deepEqual(train.map((r) => r[1]), ours.train.map((c) => c.text), `${src}: train clips and order`);
      assert.deepEqual(validation.map((r) => r[1]), ours.validation.map((c) => c.text), `${src}: validation clips`);
      assert.deepEqual(testRows.filter((r) => r[2] === 'general').map((r) => r[1]), ours.general.map((c) => c.text), `${src}: guard clips`);
      assert.deepEqual(summary.counts, { train: train.length, validation: validation.length, test: testRows.length });
      // Every clip is a 16 kHz mono PCM16 WAV holding the same audio as our loader gives the trainer.
      for (const [s, list] of [['train', train], ['validation', validation]] as const) {
        list.forEach((r, i) => {
          const w = decodeWav(new Uint8Array(readFileSync(path.join(out, s, r[0]))));
          assert.equal(w.sampleRate, 16000);
          assert.equal(w.channels[0].length, (s === 'train' ? ours.train : ours.validation)[i].samples.length);
        });
      }
      assert.equal(train.filter((r) => r[2] === 'vocabulary').length, ours.train.filter((c) => c.text.includes('PyTorch')).length);
    }
    // withSplit: test/ holds the one test clip and the two guard clips.
    assert.equal(readdirSync(path.join(tmp, 'out-with-split', 'test')).filter((f) => f.endsWith('.wav')).length, 3);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('vocab-tuner export-recipe --run writes the folder; the Python compiles and the YAML parses', { skip: NEEDS_REFERENCE || (!HAS_PYTHON && 'needs python3'), timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vt-recipe-cli-'));
  try {
    const data = path.join(tmp, 'data');
    mkdirSync(path.join(data, 'train'), { recursive: true });
    mkdirSync(path.join(data, 'validation'), { recursive: true });
    for (const [s, n] of [['train', 4], ['validation', 2]] as const) {
      const rows = [['file_name', 'transcription', 'subset']];
      for (let i = 0; i < n; i++) {
        tone(path.join(data, s, `c${i}.wav`), 220 + i * 30);
        rows.push([`c${i}.wav`, `We run PyTorch ${i}.`, 'vocabulary']);
      }
      writeFileSync(path.join(data, s, 'metadata.csv'), rows.map(formatCsvRow).join(''));
    }
    // The run folder as `vocab-tuner tune --out` leaves it (run.json: model, data, config).
    const runDir = path.join(tmp, 'run');
    mkdirSync(runDir);
    const config = { ...unusualConfig(), regularizer: 'distill' as const, language: undefined };
    writeFileSync(path.join(runDir, 'run.json'), JSON.stringify({ version: 1, model: MICRO_F32, data, config, status: 'completed' }));
    const out = path.join(tmp, 'recipe');
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [path.join(ROOT, 'bin/vocab-tuner.mjs'), 'export-recipe', '--run', runDir, '--out', out, '--json'], (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr })),
    );
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { includedModel: boolean; dataset: { counts: Record<string, number> } };
    // The fixture is a plain folder (no Hub id), so it travels with the recipe.
    assert.equal(summary.includedModel, true);
    assert.deepEqual(summary.dataset.counts, { train: 4, validation: 2, test: 0 });
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'recipe.json'), 'utf8')), JSON.parse(JSON.stringify(recipeConfig(config, 'model'))));
    for (const f of ['model/config.json', 'model/model.safetensors', 'model/tokenizer.json', 'requirements.txt', 'README.md']) assert.ok(existsSync(path.join(out, f)), f);

    const py = spawnSync('python3', ['-m', 'py_compile', 'train.py', 'vt_data.py', 'vt_model.py'], { cwd: out, encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    rmSync(path.join(out, '__pycache__'), { recursive: true, force: true });

    const yaml = createRequire(import.meta.url)('js-yaml') as { load(s: string): unknown };
    const acc = Object.fromEntries(readdirSync(path.join(out, 'accelerate')).map((f) => [f, yaml.load(readFileSync(path.join(out, 'accelerate', f), 'utf8')) as Record<string, any>]));
    assert.deepEqual(Object.keys(acc).sort(), ['deepspeed_zero2.yaml', 'multi_gpu.yaml', 'multi_node.yaml', 'single_gpu.yaml']);
    assert.equal(acc['single_gpu.yaml'].distributed_type, 'NO');
    assert.equal(acc['multi_gpu.yaml'].distributed_type, 'MULTI_GPU');
    assert.equal(acc['multi_node.yaml'].num_machines, 2);
    assert.equal(acc['deepspeed_zero2.yaml'].deepspeed_config.zero_stage, 2);
    assert.equal(acc['deepspeed_zero2.yaml'].deepspeed_config.gradient_clipping, 0.5, 'DeepSpeed clips at the run\'s max_grad_norm');

    const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
    assert.doesNotMatch(readme, /\{\{/, 'every README placeholder filled');
    assert.match(readme, /accelerate launch --config_file accelerate\/multi_gpu\.yaml --num_processes 8 train\.py/);
    assert.match(readme, /vocab-tuner compare --model .*whisper-micro-en --adapter ~\/vt-cluster-run --data data --term PyTorch --term CUDA/);
    const pins = readFileSync(path.join(out, 'requirements.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const l of pins) assert.match(l, /^[\w-]+==\d+(\.\d+)+$/, `pinned: ${l}`);
    // --config: a partial trainer config is completed from tune's defaults for that method.
    writeFileSync(path.join(tmp, 'cfg.json'), JSON.stringify({ method: { method: 'full' }, epochs: 2, terms: ['PyTorch'] }));
    const fromCfg = spawnSync(process.execPath, [path.join(ROOT, 'bin/vocab-tuner.mjs'), 'export-recipe', '--config', path.join(tmp, 'cfg.json'), '--data', data, '--model', 'openai/whisper-small.en', '--out', path.join(tmp, 'from-config'), '--json'], { encoding: 'utf8' });
    assert.equal(fromCfg.status, 0, fromCfg.stderr);
    const rc = JSON.parse(readFileSync(path.join(tmp, 'from-config', 'recipe.json'), 'utf8'));
    const full = { ...defaultConfig({ ...defaultConfig().method, method: 'full' }), epochs: 2, terms: ['PyTorch'] };
    assert.deepEqual(rc, JSON.parse(JSON.stringify(recipeConfig(full, 'openai/whisper-small.en'))), 'a Hub id stays a Hub id; lr 1e-5 and L2-SP are the full method\'s defaults');
    assert.equal(rc.learning_rate, 1e-5);
    assert.ok(!existsSync(path.join(tmp, 'from-config', 'model')), 'a Hub model is not copied');
    // A second export into the same folder is refused, nothing overwritten.
    const again = spawnSync(process.execPath, [path.join(ROOT, 'bin/vocab-tuner.mjs'), 'export-recipe', '--run', runDir, '--out', out], { encoding: 'utf8' });
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /OUTPUT_EXISTS/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
