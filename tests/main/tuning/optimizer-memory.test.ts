/**
 * AdamW's update must not hold a whole model's worth of temporaries at once. It did: all
 * parameters were updated inside one tf.tidy, so every parameter's ~12 temporaries lived until the
 * end — ~12× the model on top of weights, moments and gradients, which is what full fine-tuning
 * at whisper-base ran into on the 4 GB wasm heap (the heap never shrinks, so the peak is what
 * counts). Measured here as the peak of live tensor bytes during `apply`, each data buffer counted
 * once, on a small Whisper-shaped parameter set. Also: the leaner update is bit-identical to the
 * plain formula.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AdamW, DEFAULT_ADAMW } from '../../../src-main/tuning/optimizer.ts';
import { liveBytesDuring } from '../../helpers/live-bytes.ts';

/** Whisper-like parameter shapes at width 64 (2 blocks of attention + MLP, a small vocabulary). */
function shapes(): Map<string, number[]> {
  const d = 64;
  const out = new Map<string, number[]>([['embed_tokens.weight', [300, d]]]);
  for (let i = 0; i < 4; i++) {
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      out.set(`layers.${i}.${p}.weight`, [d, d]);
      out.set(`layers.${i}.${p}.bias`, [d]);
    }
    out.set(`layers.${i}.fc1.weight`, [4 * d, d]);
    out.set(`layers.${i}.fc2.weight`, [d, 4 * d]);
    out.set(`layers.${i}.layer_norm.weight`, [d]);
  }
  return out;
}

function makeParams(seed: number, tag = ''): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  let s = seed;
  for (const [name, shape] of shapes()) {
    const t = tf.randomNormal(shape, 0, 0.5, 'float32', s++);
    out.set(name, tf.variable(t, true, `${name}#${seed}${tag}`));
    t.dispose();
  }
  return out;
}

function makeGrads(seed: number): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  let s = seed;
  for (const [name, shape] of shapes()) out.set(name, tf.randomNormal(shape, 0, 1, 'float32', s++));
  return out;
}

test('an AdamW update holds at most a few copies of the largest parameter, not of the model', async () => {
  await tf.setBackend('cpu');
  const params = makeParams(1);
  const opt = new AdamW(params);
  const modelBytes = [...params.values()].reduce((s, v) => s + v.size * 4, 0);
  const largestBytes = Math.max(...[...params.values()].map((v) => v.size * 4));
  for (let step = 0; step < 2; step++) {
    const grads = makeGrads(100 + step);
    // Weights, both moments and the gradients: four model-sized sets, no shared buffers.
    assert.equal(tf.memory().numBytes, 4 * modelBytes, 'the measurement assumes no tensor shares a buffer');
    // maxNorm 1: the gradients are clipped (one more temporary per parameter); decay on weights.
    const m = await liveBytesDuring(() => opt.apply(grads, 1e-3, 1, (n) => !n.endsWith('.bias')));
    const extra = m.peak - m.before;
    console.log(`step ${step + 1}: model ${(modelBytes / 1024).toFixed(0)} KB, largest parameter ${(largestBytes / 1024).toFixed(0)} KB, peak above the live set during apply ${(extra / 1024).toFixed(0)} KB`);
    // The old single-tidy update peaked at ~12 model sizes above the live set.
    assert.ok(extra <= 4 * largestBytes + 4096, `apply's temporaries peaked at ${extra} bytes: more than 4 × the largest parameter (${largestBytes} bytes)`);
    assert.ok(extra < modelBytes / 2, `apply's temporaries peaked at ${(extra / modelBytes).toFixed(2)} × the model's size`);
    assert.equal(m.after, m.before, 'apply leaves nothing behind');
    tf.dispose([...grads.values()]);
  }
  opt.dispose();
  tf.dispose([...params.values()]);
});

/** The textbook update (the previous implementation), for comparison. */
function referenceApply(params: Map<string, tf.Variable>, m: Map<string, tf.Variable>, v: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, step: number, lr: number, maxNorm: number, decay: (n: string) => boolean): void {
  const { beta1, beta2, eps, weightDecay } = DEFAULT_ADAMW;
  const sq = tf.tidy(() => [...grads.values()].map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)));
  const norm = Math.sqrt(sq.dataSync()[0]);
  sq.dispose();
  const clip = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  tf.tidy(() => {
    for (const [name, p] of params) {
      const g0 = grads.get(name)!;
      const g = clip === 1 ? g0 : tf.mul(g0, clip);
      const mm = m.get(name)!;
      const vv = v.get(name)!;
      mm.assign(tf.add(tf.mul(mm, beta1), tf.mul(g, 1 - beta1)));
      vv.assign(tf.add(tf.mul(vv, beta2), tf.mul(tf.square(g), 1 - beta2)));
      let next: tf.Tensor = p;
      if (weightDecay > 0 && decay(name)) next = tf.mul(next, 1 - lr * weightDecay);
      const update = tf.div(tf.div(mm, bc1), tf.add(tf.sqrt(tf.div(vv, bc2)), eps));
      p.assign(tf.sub(next, tf.mul(update, lr)));
    }
  });
}

test('the per-parameter update is bit-identical to the plain AdamW formula (clipped and not, with and without decay)', async () => {
  await tf.setBackend('cpu');
  const ours = makeParams(7);
  const ref = makeParams(7, 'ref');
  const opt = new AdamW(ours);
  const zeros = () => new Map([...ref].map(([k, p]) => [k, tf.variable(tf.zerosLike(p), false)]));
  const m = zeros();
  const v = zeros();
  const decay = (n: string) => !n.endsWith('.bias') && !n.includes('layer_norm');
  // maxNorm 1e9 (never clips), then 1 (clips), then 0 (clipping off).
  for (const [i, maxNorm] of [1e9, 1, 0].entries()) {
    const grads = makeGrads(200 + i);
    await opt.apply(grads, 1e-2, maxNorm, decay);
    referenceApply(ref, m, v, grads, i + 1, 1e-2, maxNorm, decay);
    tf.dispose([...grads.values()]);
  }
  for (const [name, p] of ours) {
    assert.deepEqual(p.dataSync(), ref.get(name)!.dataSync(), `${name}: weights differ`);
    assert.deepEqual(opt.m.get(name)!.dataSync(), m.get(name)!.dataSync(), `${name}: first moments differ`);
    assert.deepEqual(opt.v.get(name)!.dataSync(), v.get(name)!.dataSync(), `${name}: second moments differ`);
  }
  opt.dispose();
  tf.dispose([...ours.values(), ...ref.values(), ...m.values(), ...v.values()]);
});
