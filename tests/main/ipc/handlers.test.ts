import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHandlers } from '../../../src-main/ipc/handlers.ts';
import { dispatch } from '../../../src-main/ipc/dispatch.ts';
import { JobHost } from '../../../src-main/jobs/host.ts';
import { closeStore, openStore } from '../../../src-main/store/store.ts';
import { encodeWavPcm16 } from '../../../src-main/audio/wav.ts';

function tone(seconds: number, rate: number): Float32Array {
  const x = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < x.length; i++) x[i] = 0.3 * Math.sin((2 * Math.PI * 330 * i) / rate);
  return x;
}

test('handlers over a real store: terms, a 48 kHz take stored as 16 kHz, transcript edit, coverage, import, Tune without a base model', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-handlers-'));
  const store = openStore(dir);
  const events: string[] = [];
  const h = createHandlers({ store, jobs: new JobHost(() => {}), mode: 'browser', emit: (e, p) => events.push(`${e}:${JSON.stringify(p)}`) });
  try {
    const cuda = await h['terms.add']({ text: 'CUDA', soundsLike: ['cooler'] });
    const clip = await h['clips.save']({ promptId: null, transcript: 'I installed CUDA today', pcm: tone(1.5, 48000), sampleRate: 48000 });
    assert.equal(clip.durationSec, 1.5);
    assert.deepEqual(clip.termIds, [cuda.id]);
    assert.equal(clip.source, 'recorded');
    const audio = await h['clips.audio'](clip.id);
    assert.equal(audio.sampleRate, 16000);
    assert.equal(audio.pcm.length, 24000);
    const edited = await h['clips.update'](clip.id, { transcript: 'I installed PyTorch today' });
    assert.equal(edited.transcript, 'I installed PyTorch today');
    assert.deepEqual(edited.termIds, []);
    const script = await h['script.get']();
    const termPrompts = script.prompts.filter((p) => p.kind === 'term');
    assert.ok(termPrompts.length >= 3 && termPrompts.every((p) => p.text.includes('CUDA') && p.termIds[0] === cuda.id), 'adding a term generates its sentences');
    assert.ok(script.prompts.some((p) => p.kind === 'negative' && /cooler/.test(p.text)), 'and a sound-alike negative');
    assert.deepEqual(script.coverage, [{ termId: cuda.id, text: 'CUDA', prompts: termPrompts.length, clips: 0, goal: cuda.wantedClips }]);
    const fromPrompt = await h['clips.save']({ promptId: termPrompts[0].id, transcript: termPrompts[0].text, pcm: tone(1, 16000), sampleRate: 16000 });
    assert.equal((await h['script.get']()).coverage[0].clips, 1, 'a take of a term prompt counts toward coverage');
    await h['clips.remove'](fromPrompt.id);
    const imported = await h['clips.import']({ name: 'x.wav', bytes: encodeWavPcm16(tone(0.5, 22050), 22050), transcript: 'CUDA again' });
    assert.equal(imported.source, 'imported');
    assert.equal((await h['clips.list']({ termId: cuda.id })).map((c) => c.id).join(), String(imported.id));
    assert.equal((await h['clips.list']({ search: 'PyTorch' })).length, 1);
    await h['clips.remove'](clip.id);
    assert.equal((await h['clips.list']({})).length, 1);
    const missing = await dispatch(h, 'clips.update', [clip.id, { transcript: 'x' }]);
    assert.equal(!missing.ok && missing.error.code, 'NOT_FOUND');
    const tune = await dispatch(h, 'tune.start', [null]);
    assert.equal(!tune.ok && tune.error.code, 'NO_BASE_MODEL');
    assert.match(!tune.ok ? tune.error.message : '', /Models page/);
    assert.ok(events.some((e) => e.startsWith('data.changed:{"what":"clips"}')));
  } finally {
    closeStore(store);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
