/**
 * A real CPU-heavy job for the job-host tests: tfjs cpu matmuls for `seconds`, reporting progress
 * per step. `ignoreCancel` makes it spin without ever yielding, like a job stuck in one long op.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { JobContext } from '../../src-main/jobs/protocol.ts';

export async function run(params: { seconds: number; size?: number; ignoreCancel?: boolean; failWith?: string }, ctx: JobContext): Promise<{ steps: number; checksum: number }> {
  if (params.failWith) throw Object.assign(new Error(params.failWith), { code: 'TEST_FAILURE' });
  await tf.setBackend('cpu');
  const n = params.size ?? 192;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const end = Date.now() + params.seconds * 1000;
  let steps = 0;
  let checksum = 0;
  if (params.ignoreCancel) while (true) tf.dispose(tf.matMul(a, a)); // never returns: only SIGKILL stops it
  const total = Math.max(1, Math.round(params.seconds * 20));
  // At least 8 steps however loaded the machine is (the job runs at low priority), so the test's
  // step and progress counts do not depend on the machine's speed.
  while (Date.now() < end || steps < 8) {
    if (ctx.signal.aborted) break;
    checksum += tf.tidy(() => tf.sum(tf.matMul(a, a)).dataSync()[0]);
    steps++;
    ctx.progress({ done: Math.min(steps, total - 1), total, metrics: { loss: 1 / steps } });
    // Yield so the cancel message can be delivered between steps.
    await new Promise((r) => setImmediate(r));
  }
  a.dispose();
  return { steps, checksum };
}
