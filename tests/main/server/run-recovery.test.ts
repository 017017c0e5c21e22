/**
 * Nothing lost: a cancelled run keeps its finished steps and resumes from them; a run left
 * "running" by a server that died is marked interrupted at the next start and can be resumed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../../../src-main/server/serve.ts';
import { connectApi } from '../../helpers/ws-client.ts';
import { openStore, closeStore } from '../../../src-main/store/store.ts';
import { hasTool } from '../../helpers/speech.ts';
import { makeTermDataset } from '../../helpers/term-dataset.ts';
import { MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

const skip = NEEDS_REFERENCE || (!hasTool('espeak-ng') && 'needs espeak-ng (apt-get install espeak-ng)');

const connect = connectApi;

test('cancel keeps the finished steps and Resume completes the run; a run cut off by a dead server is resumable', { skip, timeout: 600_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-recovery-'));
  const saved = process.env.HF_HUB_CACHE;
  process.env.HF_HUB_CACHE = path.join(tmp, 'hf-hub');
  const renderer = path.join(tmp, 'renderer');
  fs.mkdirSync(renderer);
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Vocab Tuner</title>');
  const dataDir = path.join(tmp, 'data');
  let server = await startServer({ dataDir, rendererDir: renderer });
  try {
    let c = await connect(server);
    await c.ok('models.import', { path: MICRO_F32 });
    await c.ok('terms.add', { text: 'PyTorch' });
    const ds = await makeTermDataset(path.join(tmp, 'speech'));
    for (const row of fs.readFileSync(path.join(ds, 'metadata.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [file, text] = /^([^,]+),"(.*)",/.exec(row)!.slice(1);
      await c.ok('clips.import', { name: file, bytes: new Uint8Array(fs.readFileSync(path.join(ds, file))), transcript: text });
    }
    await c.ok('settings.set', { backend: 'wasm' });
    const cfg = { method: 'lora', lr: 5e-3, epochs: 1, rank: 4, regularizer: 'none', regWeight: 0, steps: 6 };
    const started = await c.ok('tune.start', cfg);
    // Cancel once two training steps have run (the stages before training — loading audio,
    // encoding clips — report progress of their own, with messages that do not start with "step").
    const stepsDone = () => c.events.some((e) => e.event === 'job.progress' && e.payload.jobId === started.jobId && e.payload.message.startsWith('step') && e.payload.done >= 2);
    while (!stepsDone()) await new Promise((r) => setTimeout(r, 20));
    await c.ok('jobs.cancel', started.jobId);
    assert.equal((await c.finished(started.jobId)).status, 'cancelled');
    let [run] = await c.ok('runs.list');
    assert.equal(run.status, 'cancelled');
    assert.equal(run.resumable, true, 'a cancelled run with finished steps can resume');
    const kept = run.steps;
    assert.ok(kept >= 2 && kept < 6, `steps kept at cancel: ${kept}`);

    const resumed = await c.ok('runs.resume', run.id);
    assert.equal(resumed.runId, run.id);
    // The trainer's start event (after loading audio) reports the step it resumed from.
    const resumedStart = () => c.events.find((e) => e.event === 'job.progress' && e.payload.jobId === resumed.jobId && e.payload.message.startsWith('training'));
    assert.equal((await c.finished(resumed.jobId)).status, 'done');
    assert.ok(resumedStart()!.payload.done >= kept, `resumed at step ${resumedStart()!.payload.done}, not from scratch`);
    [run] = await c.ok('runs.list');
    assert.equal(run.status, 'done');
    assert.equal(run.steps, 6);
    assert.equal(run.resumable, false);
    assert.equal((await c.call('runs.resume', run.id)).error.code, 'RUN_NOT_RESUMABLE');
    c.ws.close();
    await server.close();

    // A server that dies mid-run leaves the row "running": the next start says what happened.
    const store = openStore(dataDir);
    store.db.prepare("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?").run(run.id);
    closeStore(store);
    server = await startServer({ dataDir, rendererDir: renderer });
    c = await connect(server);
    [run] = await c.ok('runs.list');
    assert.equal(run.status, 'failed');
    assert.match(run.error, /Interrupted: the app stopped while this run was training/);
    assert.equal(run.resumable, true);
    c.ws.close();
  } finally {
    await server.close();
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
