/**
 * The GPU bundle's JavaScript half works outside the repository: bench/gpu/entry.ts bundled by
 * esbuild (bench/gpu/bundle.ts, as `npm run bench:gpu-bundle` does), run from a temporary folder
 * with only the webgpu package beside it (no node_modules of ours), writes its random checkpoint,
 * loads Dawn through the shipped package, runs the PyTorch reference from the copied .py files and
 * writes one JSON. WebGPU is pointed at no Vulkan driver: SwiftShader would take minutes (the full
 * SwiftShader run of the unpacked archive is the manual check in README), and with no adapter the
 * JSON must say so rather than invent numbers. The xz/tar half (70–120 s on 2 cores) is not run here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleBenchmark } from '../../bench/gpu/bundle.ts';
import { probeTorch } from '../../bench/torch.ts';
import { REFERENCE, REPO_ROOT } from '../helpers/reference.ts';

const tokenizerDir = path.join(REFERENCE, 'tokenizer');
const torch = probeTorch(process.env.VOCAB_TUNER_PYTHON);

test('the bundled GPU benchmark runs from a bare folder and writes one JSON', { skip: !existsSync(tokenizerDir) && 'needs ../shared/reference/tokenizer', timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-gpu-bundle-'));
  try {
    const app = path.join(dir, 'app');
    const { bytes } = await bundleBenchmark(app);
    mkdirSync(path.join(app, 'node_modules'));
    symlinkSync(path.join(REPO_ROOT, 'node_modules/webgpu'), path.join(app, 'node_modules/webgpu'), 'dir');
    const out = path.join(dir, 'result.json');
    const argv = [path.join(app, 'bench.mjs'), '--sizes', 'micro', '--quick', '--out', out, '--tokenizer', tokenizerDir, '--torch-device', 'cpu'];
    if (torch.available) argv.push('--python', torch.python);
    else {
      argv.push('--no-torch');
      t.diagnostic(`PyTorch half not checked: ${torch.detail}`);
    }
    const r = spawnSync(process.execPath, argv, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, VK_ICD_FILENAMES: path.join(dir, 'no-such-icd.json'), TMPDIR: dir, NODE_PATH: '' },
    });
    assert.equal(r.status, 0, `bench.mjs failed:\n${r.stderr.slice(-2000)}`);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    console.log(`bench.mjs ${(bytes / 2 ** 20).toFixed(1)} MiB; WebGPU: ${j.webgpu.detail}`);
    // Dawn loaded through the shipped package (else: "the webgpu package failed to load") and found no adapter.
    assert.match(j.webgpu.detail, /no WebGPU adapter/);
    assert.equal(j.webgpu.available, false);
    assert.equal(j.rows.length, 1);
    assert.match(j.rows[0].errors.load, /WebGPU unavailable/);
    assert.equal(j.rows[0].encoder, undefined, 'no WebGPU timing may appear without an adapter');
    assert.ok(existsSync(path.join(dir, 'vocab-tuner-gpu-bench/micro/model.safetensors')), 'the random checkpoint was not written at run time');
    if (torch.available) {
      const run = j.pytorch.runs.micro;
      assert.ok(run, `PyTorch did not run: ${JSON.stringify(j.pytorch.errors)}`);
      assert.equal(run.device.type, 'cpu');
      for (const k of ['encoder', 'greedy', 'decoderLora:8', 'encDecLora']) assert.ok(run.results[k]?.wall > 0, `PyTorch ${k} missing: ${JSON.stringify(run.errors)}`);
      assert.match(r.stdout, /\| micro \| encoder 30 s \| — \| \d+\.\d+ \| — \|/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
