import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { JobHost, type JobEvent } from '../../../src-main/jobs/host.ts';

const JOB = fileURLToPath(new URL('../../helpers/matmul-job.ts', import.meta.url));

/** Event-loop delay (ms) over `ms` of idling, as a baseline for how loaded the machine is. */
async function idleLag(ms: number): Promise<{ max: number; p99: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await new Promise((r) => setTimeout(r, ms));
  h.disable();
  return { max: h.max / 1e6, p99: h.percentile(99) / 1e6 };
}

test('a CPU-heavy tfjs job runs in its own process: progress streams and the event loop stays responsive', async () => {
  const events: JobEvent[] = [];
  const baseline = await idleLag(1500);
  // (replaced below by the after-job window when that one is worse)
  const lag = monitorEventLoopDelay({ resolution: 10 });
  // Measured while the job computes (from its first progress report), not while fork() spawns it.
  const host = new JobHost((e) => {
    if (events.length === 0) lag.enable();
    events.push(e);
  });
  const id = host.startModule('selftest', JOB, { seconds: 3 });
  const outcome = await host.wait(id);
  lag.disable();
  // Idle again: other test files (Chromium, other engineers' jobs) load the machine too, so take
  // the worse of the idle windows before and after as the baseline.
  const after = await idleLag(1500);
  if (after.p99 > baseline.p99) Object.assign(baseline, after);
  const maxMs = lag.max / 1e6;
  const p99Ms = lag.percentile(99) / 1e6;
  console.log(
    `event-loop lag while a 3 s matmul job ran: p99 ${p99Ms.toFixed(1)} ms, max ${maxMs.toFixed(1)} ms (issue target < 50 ms); ` +
      `idle baseline on this machine: p99 ${baseline.p99.toFixed(1)} ms, max ${baseline.max.toFixed(1)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  assert.equal(outcome.status, 'done');
  const r = outcome.result as { steps: number; checksum: number };
  assert.ok(r.steps > 5, `only ${r.steps} matmul steps ran`);
  assert.ok(Number.isFinite(r.checksum));
  const progress = events.filter((e) => e.name === 'job.progress');
  assert.ok(progress.length >= 5, 'progress events stream back');
  assert.ok(progress.some((e) => e.name === 'job.progress' && e.payload.etaSec !== null && e.payload.metrics.loss > 0));
  const fin = events.at(-1)!;
  assert.equal(fin.name, 'job.finished');
  assert.deepEqual(fin.payload, { jobId: id, kind: 'selftest', status: 'done', error: null });
  // Target: p99 < 50 ms. On a machine already overloaded by other processes the idle baseline
  // itself can exceed that; then the job must not add more than 25 ms on top of it. (The same
  // matmuls run in this process would block the loop for the whole 3 s.)
  assert.ok(p99Ms < 50 || p99Ms < baseline.p99 + 25, `event-loop lag p99 ${p99Ms.toFixed(1)} ms exceeds 50 ms (idle baseline ${baseline.p99.toFixed(1)} ms)`);
});

test('cancel stops a cooperative job at its next step', async () => {
  const events: JobEvent[] = [];
  const host = new JobHost((e) => events.push(e));
  const id = host.startModule('selftest', JOB, { seconds: 30 });
  await new Promise<void>((r) => { const t = setInterval(() => { if (events.some((e) => e.name === 'job.progress')) { clearInterval(t); r(); } }, 20); });
  const t0 = Date.now();
  host.cancel(id);
  const o = await host.wait(id);
  assert.equal(o.status, 'cancelled');
  assert.ok(Date.now() - t0 < 2000, 'cooperative cancel is quick');
  assert.equal(events.at(-1)!.payload.jobId, id);
  assert.deepEqual(host.running(), []);
});

// The job spins forever, so without the kill `wait` would never resolve: the test's own timeout
// turns that into a failure instead of a hung suite, and the elapsed time checks the kill came
// from the grace period (300 ms), not from something slower. 15 s leaves room for a loaded 2-core
// CI machine; a working SIGKILL takes well under a second.
test('cancel kills a job that never yields, after the grace period', { timeout: 60_000 }, async (t) => {
  const host = new JobHost(() => {}, { cancelGraceMs: 300 });
  t.after(() => host.close()); // on failure, do not leave the spinning process behind
  const id = host.startModule('selftest', JOB, { seconds: 30, ignoreCancel: true });
  await new Promise((r) => setTimeout(r, 1500)); // let it load tfjs and start spinning
  const cancelledAt = performance.now();
  host.cancel(id);
  const o = await host.wait(id);
  const elapsedMs = performance.now() - cancelledAt;
  assert.equal(o.status, 'cancelled');
  assert.ok(elapsedMs >= 300, `killed after ${elapsedMs.toFixed(0)} ms, before the 300 ms grace period`);
  assert.ok(elapsedMs < 15_000, `the stuck job took ${elapsedMs.toFixed(0)} ms to die after cancel (grace 300 ms)`);
});

test('a job that throws reports its code and message', async () => {
  const host = new JobHost(() => {});
  const o = await host.wait(host.startModule('selftest', JOB, { seconds: 1, failWith: 'the fixture model is missing' }));
  assert.equal(o.status, 'failed');
  assert.deepEqual(o.error, { code: 'TEST_FAILURE', message: 'the fixture model is missing' });
  assert.throws(() => host.cancel('nope'), /No running job/);
});

const ALLOC = fileURLToPath(new URL('../../helpers/alloc-job.ts', import.meta.url));

test('heavy jobs queue one at a time, a queued job can be cancelled, and a full queue answers BUSY', async () => {
  const events: JobEvent[] = [];
  const host = new JobHost((e) => events.push(e), { maxQueued: 2 });
  const first = host.startModule('import', ALLOC, { mb: 1, holdMs: 1500 });
  const second = host.startModule('import', ALLOC, { mb: 1 });
  const third = host.startModule('export', ALLOC, { mb: 1 });
  assert.deepEqual(host.running().map((j) => j.queued), [false, true, true]);
  assert.match((events.find((e) => e.name === 'job.progress' && e.payload.jobId === second)!.payload as { message: string }).message, /waiting: a import job is running/);
  assert.throws(() => host.startModule('compare', ALLOC, { mb: 1 }), (e: any) => e.code === 'BUSY' && /2 jobs are already waiting/.test(e.message));
  // A light job is not stuck behind the heavy one.
  const probe = host.startModule('probe', ALLOC, { mb: 1 });
  const probeDone = host.wait(probe);
  assert.equal(host.running().find((j) => j.jobId === probe)!.queued, false);
  const thirdDone = host.wait(third);
  host.cancel(third);
  assert.equal((await thirdDone).status, 'cancelled');
  assert.ok(events.some((e) => e.name === 'job.finished' && e.payload.jobId === third && e.payload.status === 'cancelled'));
  const order: string[] = [];
  for (const id of [first, second]) void host.wait(id).then(() => order.push(id));
  assert.equal((await host.wait(second)).status, 'done');
  assert.deepEqual(order, [first, second], 'the queued job ran after the first finished');
  assert.equal((await probeDone).status, 'done');
  assert.deepEqual(host.running(), []);
});

test('a job over its memory cap is killed and fails with JOB_MEMORY_LIMIT', { skip: process.platform !== 'linux' && 'RSS is polled from /proc' }, async () => {
  const host = new JobHost(() => {});
  const o = await host.wait(host.startModule('decode', ALLOC, { mb: 600, holdMs: 3000 }, { memoryMb: 300, quiet: true }));
  assert.equal(o.status, 'failed');
  assert.equal(o.error?.code, 'JOB_MEMORY_LIMIT');
  assert.match(o.error!.message, /300 MB memory limit/);
  const ok = await host.wait(host.startModule('decode', ALLOC, { mb: 20 }, { memoryMb: 300, quiet: true }));
  assert.equal(ok.status, 'done');
});
