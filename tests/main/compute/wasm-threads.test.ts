/**
 * The threaded wasm backend under Node (src-main/compute/wasm-threads.ts), each case in its own
 * process because the thread count is fixed when the backend starts: the pool has the threads
 * asked for, a product equals the single-threaded one, the process exits by itself (pool workers
 * must not keep it alive), a bad VOCAB_TUNER_THREADS is refused, and the upstream conformance
 * goldens hold at 1 thread and at 3 (more threads than this 2-core machine has cores, so the
 * parallel sections really are split).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestedThreads } from '../../../src-main/compute/wasm-threads.ts';
import { NEEDS_REFERENCE, REPO_ROOT } from '../../helpers/reference.ts';

const SCRIPT = `
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '${REPO_ROOT}/src-main/compute/backend.ts';
import { wasmThreadInfo } from '${REPO_ROOT}/src-main/compute/wasm-threads.ts';
await initBackend('wasm');
const a = tf.tensor2d(Float32Array.from({ length: 300 * 200 }, (_, i) => Math.sin(i * 0.37)), [300, 200]);
const b = tf.tensor2d(Float32Array.from({ length: 500 * 200 }, (_, i) => Math.cos(i * 0.11)), [500, 200]);
const c = tf.matMul(a, b, false, true);
const sum = Array.from(await c.data()).reduce((s, x) => s + Math.abs(x), 0);
console.log(JSON.stringify({ info: wasmThreadInfo(), sum, first: (await c.data())[0] }));
`;

function runScript(threads: string): { status: number | null; out: { info: { threads: number; requested: number }; sum: number; first: number } | null; stderr: string; ms: number } {
  // Inside the repo so the script resolves the project's packages.
  mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.tmp', 'threads-'));
  try {
    const file = join(dir, 'probe.mts');
    writeFileSync(file, SCRIPT);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT, env: { ...process.env, VOCAB_TUNER_THREADS: threads }, encoding: 'utf8', timeout: 120_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    return { status: r.status, out: line.startsWith('{') ? JSON.parse(line) : null, stderr: r.stderr, ms: Date.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('VOCAB_TUNER_THREADS: a whole number, "auto" or unset; capped at the pool maximum', () => {
  assert.equal(requestedThreads({ VOCAB_TUNER_THREADS: '3' }), 3);
  assert.equal(requestedThreads({ VOCAB_TUNER_THREADS: '64' }), 8);
  assert.ok(requestedThreads({}) >= 1);
  assert.equal(requestedThreads({ VOCAB_TUNER_THREADS: 'auto' }), requestedThreads({}));
  assert.throws(() => requestedThreads({ VOCAB_TUNER_THREADS: '0' }), /whole number/);
  assert.throws(() => requestedThreads({ VOCAB_TUNER_THREADS: 'two' }), /whole number/);
});

test('the pool has the threads asked for, the result equals one thread, and the process exits by itself', () => {
  const one = runScript('1');
  const three = runScript('3');
  assert.equal(one.status, 0, `1 thread: exit ${one.status}; ${one.stderr.slice(-500)}`);
  // A timeout (spawnSync kills after 120 s) shows up as status null: the workers kept the process alive.
  assert.equal(three.status, 0, `3 threads: exit ${three.status} after ${three.ms} ms; ${three.stderr.slice(-500)}`);
  assert.deepEqual(one.out?.info, { threads: 1, requested: 1 });
  assert.equal(three.out?.info.threads, 3, 'XNNPACK pool size read back from the module');
  assert.ok(Math.abs(one.out!.sum - three.out!.sum) <= 1e-3 * one.out!.sum, `sums ${one.out!.sum} vs ${three.out!.sum}`);
  assert.ok(Math.abs(one.out!.first - three.out!.first) <= 1e-4);
});

test('a bad VOCAB_TUNER_THREADS stops the backend with a message naming it', () => {
  const r = runScript('zero');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /VOCAB_TUNER_THREADS must be a whole number/);
});

for (const threads of ['1', '3']) {
  test(`upstream conformance goldens hold at ${threads} thread(s)`, { skip: NEEDS_REFERENCE }, () => {
    // NODE_TEST_CONTEXT would make the child report to this runner instead of printing TAP.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'tests/main/whisper/conformance.test.ts'], {
      cwd: REPO_ROOT,
      env: { ...env, VOCAB_TUNER_THREADS: threads },
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(r.status, 0, `conformance at ${threads} threads failed:\n${(r.stdout + r.stderr).slice(-2000)}`);
    assert.match(r.stdout, /# pass 3/);
  });
}
