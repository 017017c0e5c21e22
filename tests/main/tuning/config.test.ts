/**
 * One preset: the app's Tune button (`tune.start(null)` → tuning/run.ts startRun) and
 * `vocab-tuner tune` with no options (cli/tune.ts configFromArgs) must hand the trainer the same
 * config, and the panel settings the renderer gets from `tune.preset` must map back to it. And
 * tuning/config.ts must stay free of tfjs, so the serving process can read defaults cheaply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, presetSettings, trainerConfig, type TuneSettings } from '../../../src-main/tuning/config.ts';
import { readRunRecord, runPaths, startRun, storedSettings } from '../../../src-main/tuning/run.ts';
import { configFromArgs, parseTuneArgs } from '../../../src-main/cli/tune.ts';
import { closeStore, openStore } from '../../../src-main/store/store.ts';
import { getOrCreateProject } from '../../../src-main/store/projects.ts';
import { saveRecording } from '../../../src-main/store/recordings.ts';
import { getRun } from '../../../src-main/store/runs.ts';
import { tempDir } from '../../helpers/store-fixtures.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function tone(seed: number): Float32Array {
  const x = new Float32Array(16000);
  for (let i = 0; i < x.length; i++) x[i] = 0.2 * Math.sin(i * (0.01 + seed * 0.001));
  return x;
}

test("the app's Tune button and `vocab-tuner tune` without options train with the same config", () => {
  const dataDir = tempDir('vt-preset-');
  const store = openStore(dataDir);
  try {
    const pid = getOrCreateProject(store.db).id;
    for (let i = 0; i < 6; i++) saveRecording(store, pid, { samples: tone(i + 1), transcript: { text: `I use PyTorch ${i}`, source: 'typed' } });
    const terms = ['PyTorch', 'CUDA'];
    // The app: what tune.start(null) hands the tune job (the dataset is exported for real).
    const app = startRun(store, pid, null, { ref: 'openai/whisper-tiny.en', dir: '/models/tiny' }, terms);
    // The CLI: `vocab-tuner tune --model M --data D --out O --term PyTorch --term CUDA`, nothing else.
    const cli = configFromArgs(parseTuneArgs(['--model', 'M', '--data', 'D', '--out', 'O', '--term', 'PyTorch', '--term', 'CUDA']));
    assert.deepEqual(app.params.config, cli);
    assert.deepEqual(cli, { ...defaultConfig(), terms });
    // Spot-check the preset itself, so a changed default is a visible decision.
    assert.equal(cli.method.method, 'lora');
    assert.equal(cli.method.lora.rank, 8);
    assert.equal(cli.lr, 1e-3);
    assert.equal(cli.epochs, 5);
    assert.equal(cli.regularizer, 'distill');
    assert.equal(cli.regWeight, 0.5);
    // The run row stores the preset as panel settings, spelt as the trainer spells them.
    const stored = getRun(store.db, app.run.id).config as Record<string, unknown>;
    assert.deepEqual(storedSettings(stored), presetSettings());
    assert.ok(fs.existsSync(path.join(runPaths(dataDir, app.run.id).dataset)), 'the dataset is exported beside the run');
    assert.equal(readRunRecord(app.params.outDir), null, 'no run record before training starts');
  } finally {
    closeStore(store);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the panel showing the preset (tune.preset) and Tune with it = Tune with null', () => {
  const terms = ['Kubernetes'];
  assert.deepEqual(trainerConfig(presetSettings(), terms), trainerConfig(null, terms));
  const quick: TuneSettings = { ...presetSettings(), rank: 4, steps: 3 };
  const c = trainerConfig(quick, terms);
  assert.equal(c.method.lora.rank, 4);
  assert.equal(c.method.lora.alpha, 8, 'alpha follows the rank (2r), as in the preset');
  assert.equal(c.steps, 3);
});

test('runs stored with the old spellings (learningRate, regulariser, regulariserWeight) still read', () => {
  assert.deepEqual(storedSettings({ method: 'lora', learningRate: 5e-3, epochs: 1, rank: 4, regulariser: 'none', regulariserWeight: 0, steps: 6, baseModel: 'x', terms: [] }), {
    method: 'lora', lr: 5e-3, epochs: 1, rank: 4, regularizer: 'none', regWeight: 0, steps: 6,
  });
});

test('tuning/config.ts loads without tfjs (the server reads defaults without a tensor library)', () => {
  // tfjs-core creates its engine on globalThis when it loads: its absence means it never loaded.
  const probe = (mod: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(mod)}); console.log('_tfengine' in globalThis)`], { cwd: ROOT, encoding: 'utf8' });
  const config = probe('./src-main/tuning/config.ts');
  assert.equal(config.status, 0, config.stderr);
  assert.equal(config.stdout.trim(), 'false');
  const trainer = probe('./src-main/tuning/optimizer.ts'); // the control: a module that does load tfjs
  assert.equal(trainer.status, 0, trainer.stderr);
  assert.equal(trainer.stdout.trim(), 'true');
});
