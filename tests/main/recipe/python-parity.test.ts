/**
 * The recipe's pure Python helpers (templates/vt_data.py, run with python3 + numpy, no torch)
 * against the TypeScript they port: seeds (FNV-1a), the mulberry32 stream, the learning-rate
 * schedule, waveform augmentation (volume and noise; speed resamples differently by design) and
 * SpecAugment. Equal draws are what make the cluster run see the same augmented clips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { rng, seedOf } from '../../../src-main/util/random.ts';
import { getLr } from '../../../src-main/tuning/schedule.ts';
import { augmentWave, specAugment } from '../../../src-main/tuning/augment.ts';

const TEMPLATES = path.resolve(import.meta.dirname, '../../../src-main/recipe/templates');
const HAS_NUMPY = spawnSync('python3', ['-c', 'import numpy']).status === 0;

const SCRIPT = `
import json, sys
import numpy as np
sys.path.insert(0, ${JSON.stringify(TEMPLATES)})
from vt_data import seed_of, mulberry32, get_lr, augment_wave, spec_augment
inp = json.load(sys.stdin)
r = mulberry32(inp["seed"])
x = np.array(inp["wave"], dtype=np.float32)
aug = {"speed": False, "volume": True, "noise": True, "spec_augment": True}
mel = np.array(inp["mel"], dtype=np.float32).reshape(inp["nMels"], inp["nFrames"])
print(json.dumps({
  "seeds": [seed_of(*p) for p in inp["seedParts"]],
  "stream": [r() for _ in range(8)],
  "lr": [get_lr(s, 1e-3, 10, 100, k) for k in ("linear", "cosine", "constant") for s in (0, 5, 9, 10, 50, 99, 100, 120)],
  "waves": [augment_wave(x, aug, s).tolist() for s in inp["waveSeeds"]],
  "mel": spec_augment(mel, inp["content"], inp["melSeed"]).reshape(-1).tolist(),
}))
`;

test('vt_data.py draws what the app draws', { skip: !HAS_NUMPY && 'needs python3 with numpy' }, () => {
  const seedParts: (string | number)[][] = [[0, 'order', 3], [12345, 7], [42, 'train/clip-000001.wav', 2, 'wave'], [7, 'variant', 0, 11]];
  const wave = Float32Array.from({ length: 400 }, (_, i) => 0.3 * Math.sin(i / 7) + 0.05 * Math.cos(i / 3));
  // Seeds picked so that both the volume and the noise branch run in at least one of them.
  const waveSeeds = [1, 2, 3, 4, 5, 6, 7, 8];
  const nMels = 20, nFrames = 60, content = 45;
  const mel = Float32Array.from({ length: nMels * nFrames }, (_, i) => Math.sin(i * 0.37));
  const py = spawnSync('python3', ['-c', SCRIPT], { input: JSON.stringify({ seed: 99, seedParts, wave: [...wave], waveSeeds, mel: [...mel], nMels, nFrames, content, melSeed: 17 }), encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(py.status, 0, py.stderr);
  const out = JSON.parse(py.stdout) as { seeds: number[]; stream: number[]; lr: number[]; waves: number[][]; mel: number[] };

  assert.deepEqual(out.seeds, seedParts.map((p) => seedOf(...p)));
  const r = rng(99);
  assert.deepEqual(out.stream, Array.from({ length: 8 }, () => r()));
  const want = (['linear', 'cosine', 'constant'] as const).flatMap((kind) => [0, 5, 9, 10, 50, 99, 100, 120].map((s) => getLr(s, { lr: 1e-3, warmup: 10, total: 100, kind })));
  out.lr.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-15, `lr ${i}: ${v} vs ${want[i]}`));

  let changed = 0;
  waveSeeds.forEach((s, k) => {
    const ts = augmentWave(wave, { variants: 3, speed: false, volume: true, noise: true, specAugment: true }, s);
    assert.equal(out.waves[k].length, ts.length);
    let d = 0;
    for (let i = 0; i < ts.length; i++) d = Math.max(d, Math.abs(ts[i] - out.waves[k][i]));
    assert.ok(d < 1e-6, `seed ${s}: max |Δ| ${d}`);
    if (ts.some((v, i) => Math.abs(v - wave[i]) > 1e-4)) changed++;
  });
  assert.ok(changed >= 4, `augmentation changed ${changed} of 8 waves (the branches ran)`);

  const ms = mel.slice();
  specAugment(ms, nMels, nFrames, content, 17);
  let dm = 0;
  for (let i = 0; i < ms.length; i++) dm = Math.max(dm, Math.abs(ms[i] - out.mel[i]));
  assert.ok(dm < 1e-5, `SpecAugment max |Δ| ${dm}`);
  assert.ok(ms.some((v, i) => v !== mel[i]), 'SpecAugment masked something');
});
