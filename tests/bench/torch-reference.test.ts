/**
 * The PyTorch reference of `npm run bench` (bench/torch/whisper_ref.py) computes what our tfjs
 * model computes: the same random checkpoint (written by writeRandomCheckpoint, read by the
 * reference's own safetensors parser), the same mel and tokens, and the encoder output, the
 * teacher-forced logits and the KV-cached logits must agree within 1e-3 of their scale. Without
 * this, a PyTorch timing would be a timing of something else. Skips where torch is not importable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src-main/compute/backend.ts';
import { loadWhisper } from '../../src-main/whisper/load.ts';
import { writeRandomCheckpoint, type RandomCheckpointOptions } from '../../src-main/whisper/random-checkpoint.ts';
import { KVCache } from '../../src-main/whisper/model.ts';
import { fakeMel } from '../../bench/whisper.ts';
import { describeBlas, probeTorch, type TorchBlas } from '../../bench/torch.ts';
import { REFERENCE, REPO_ROOT, maxDiff } from '../helpers/reference.ts';

const tokenizerDir = path.join(REFERENCE, 'tokenizer');
// One wasm thread: the agreement does not depend on the thread count, and the threaded build's
// workers must not be started (and kept alive) by a test about numerics on a shared 2-core machine.
process.env.VOCAB_TUNER_THREADS ??= '1';
const torch = probeTorch(process.env.VOCAB_TUNER_PYTHON);
const skip = !existsSync(tokenizerDir)
  ? 'needs ../shared/reference/tokenizer (not in a fresh clone)'
  : !torch.available
    ? `PyTorch reference not checked: ${torch.detail}`
    : false;

function readF32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

async function compare(opts: Omit<RandomCheckpointOptions, 'tokenizerDir'>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-torch-ref-'));
  try {
    const ckpt = path.join(dir, 'ckpt');
    await writeRandomCheckpoint(ckpt, { ...opts, tokenizerDir });
    await initBackend('wasm');
    const { model, tokenizer } = await loadWhisper(ckpt);
    const tokens = [...tokenizer.sotSequence({ timestamps: false }), ...tokenizer.encode(' Ask not what your country can do')];
    const mel = fakeMel(model);
    writeFileSync(path.join(dir, 'mel.f32'), await mel.data());
    const enc = model.encode(mel);
    const logits = model.decodeFull(tf.tensor2d([tokens], undefined, 'int32'), enc);
    // KV-cached path as forward_ref.py feeds it: the first two tokens, then one at a time.
    const cache = new KVCache(model.dims.nTextLayer);
    const cached: tf.Tensor[] = [model.decodeStep(tf.tensor2d([tokens.slice(0, 2)], undefined, 'int32'), enc, cache)];
    for (let i = 2; i < tokens.length; i++) cached.push(model.decodeStep(tf.tensor2d([[tokens[i]]], undefined, 'int32'), enc, cache));
    const ours = { enc: await enc.data(), logits: await logits.data(), cached: await tf.concat(cached, 0).data() };
    cache.dispose();
    model.dispose();

    const r = spawnSync(torch.python, [path.join(REPO_ROOT, 'bench/torch/forward_ref.py'), '--checkpoint', ckpt, '--mel', path.join(dir, 'mel.f32'), '--tokens', tokens.join(','), '--out', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `forward_ref.py failed: ${r.stderr}`);
    for (const [name, a] of [['encoder_out', ours.enc], ['logits', ours.logits], ['cached_logits', ours.cached]] as const) {
      const theirs = readF32(path.join(dir, `${name}.f32`));
      const d = maxDiff(a, theirs);
      console.log(`${opts.preset} ${opts.dtype ?? 'F32'}: ${name} max|Δ| ${d.diff.toExponential(2)} (scale ${d.scale.toFixed(3)}, ${theirs.length} values)`);
      assert.ok(d.scale > 0, `${name}: PyTorch output is all zeros`);
      assert.ok(d.diff <= 1e-3 * d.scale, `${name}: PyTorch and tfjs differ by ${d.diff} (scale ${d.scale})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('PyTorch reference = tfjs model on the tiny random checkpoint (encoder, logits, KV cache)', { skip, timeout: 300_000 }, async () => {
  await compare({ preset: 'tiny', seed: 5 });
});

test('PyTorch reference reads BF16 shards (its own safetensors parser) like checkpoint.ts', { skip, timeout: 120_000 }, async () => {
  await compare({ preset: 'micro', seed: 6, dtype: 'BF16', shards: 2 });
});

test('the BLAS check names OpenBLAS here and shouts about the reference BLAS', { skip: torch.available ? false : `PyTorch reference not checked: ${torch.detail}` }, () => {
  // _classify on library lists as /proc/self/maps shows them on Debian, with and without OpenBLAS.
  const code = `import json, sys; sys.path.insert(0, sys.argv[1]); from platform_info import _classify, blas_info
print(json.dumps({'ref': _classify(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', '/usr/lib/x86_64-linux-gnu/libgomp.so.1']),
  'openblas': _classify(['/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3', '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so']),
  'here': blas_info()}))`;
  const r = spawnSync(torch.python, ['-c', code, path.join(REPO_ROOT, 'bench/torch')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ref: [string, string | null]; openblas: [string, string | null]; here: TorchBlas };
  assert.deepEqual(out.ref, ['reference', null]);
  assert.deepEqual(out.openblas, ['openblas', 'pthread']);
  console.log(`BLAS here: ${describeBlas(out.here)}`);
  assert.ok(out.here.libraries && out.here.libraries.length > 0, 'no BLAS library found mapped into the torch process');
  assert.match(describeBlas({ ...out.here, kind: 'reference', variant: null }), /REFERENCE BLAS.*MEANINGLESS/);
});
