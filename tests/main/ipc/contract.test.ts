import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_CHANNELS, EVENT_CHANNELS, type Channel, type EventName, type Handlers, type IpcResult } from '../../../src-main/ipc/contract.ts';
import { dispatch } from '../../../src-main/ipc/dispatch.ts';
import { validateCall } from '../../../src-main/ipc/validate.ts';
import { decodeWire, encodeWire } from '../../../src-main/ipc/wire.ts';

// ---- type-level: the runtime lists equal the interfaces' keys (a compile error otherwise) ----
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const channelsMatch: Equal<(typeof API_CHANNELS)[number], Channel> = true;
const eventsMatch: Equal<(typeof EVENT_CHANNELS)[number], EventName> = true;

test('channel and event lists equal the contract (type-level, plus no duplicates at run time)', () => {
  assert.equal(channelsMatch && eventsMatch, true);
  assert.equal(new Set(API_CHANNELS).size, API_CHANNELS.length);
  assert.equal(new Set(EVENT_CHANNELS).size, EVENT_CHANNELS.length);
});

test('validators accept good calls and name the first bad argument', () => {
  assert.equal(validateCall('terms.add', [{ text: 'CUDA', soundsLike: ['cooler'] }]), null);
  assert.equal(validateCall('terms.list', []), null);
  assert.equal(validateCall('clips.list', [{}]), null);
  assert.equal(validateCall('clips.save', [{ promptId: null, transcript: 'hi', pcm: new Float32Array(10), sampleRate: 48000 }]), null);
  assert.equal(validateCall('tune.start', [null]), null);
  assert.match(validateCall('terms.add', [{ text: '   ' }])!, /text must not be blank/);
  assert.match(validateCall('terms.add', [{ text: 'x', evil: 1 }])!, /evil is not a known field/);
  assert.match(validateCall('terms.add', [])!, /takes 1 argument, got 0/);
  assert.match(validateCall('terms.remove', ['1'])!, /must be an integer/);
  assert.match(validateCall('terms.remove', [0])!, /between 1 and/);
  assert.match(validateCall('clips.save', [{ promptId: null, transcript: 'hi', pcm: [0.1], sampleRate: 16000 }])!, /pcm must be a Float32Array/);
  assert.match(validateCall('clips.update', [3, { split: 'holdout' }])!, /split must be one of/);
  assert.match(validateCall('tune.start', [{ method: 'lora', lr: NaN, epochs: 1, rank: 8, regularizer: 'none', regWeight: 0 }])!, /lr must be a finite number/);
  assert.match(validateCall('models.download', [{ repo: '../../etc' }])!, /owner\/name/);
});

test('validators for tuning, comparison, models and settings channels', () => {
  assert.equal(validateCall('tune.start', [{ method: 'lora', lr: 1e-3, epochs: 1, rank: 8, regularizer: 'distill', regWeight: 0.5, steps: 3 }]), null);
  assert.match(validateCall('tune.start', [{ method: 'lora', lr: 1e-3, epochs: 1, rank: 8, regularizer: 'distill', regWeight: 0.5, steps: 0 }])!, /steps must be between 1/);
  assert.equal(validateCall('runs.get', [1]), null);
  assert.equal(validateCall('compare.get', [2]), null);
  assert.equal(validateCall('clips.prelabel', [{}]), null);
  assert.equal(validateCall('clips.prelabel', [{ ids: [1, 2] }]), null);
  assert.match(validateCall('clips.prelabel', [{ ids: [1, 'x'] }])!, /ids\[1\] must be an integer/);
  assert.equal(validateCall('models.import', [{ path: '/models/whisper-small' }]), null);
  assert.equal(validateCall('models.import', [{ path: 'C:\\models\\small' }]), null);
  assert.match(validateCall('models.import', [{ path: 'models/small' }])!, /must be an absolute path/);
  assert.match(validateCall('models.import', [{ path: '/a\0b' }])!, /NUL/);
  assert.equal(validateCall('models.setBase', ['local/whisper-micro-en']), null);
  assert.match(validateCall('models.setBase', ['/etc/passwd'])!, /model id/);
  assert.equal(validateCall('models.export', [{ runId: 1, format: 'ggml', outDir: '/tmp/out' }]), null);
  assert.match(validateCall('models.export', [{ runId: 1, format: 'onnx', outDir: '/tmp/out' }])!, /format must be one of hf, peft, ggml/);
  assert.equal(validateCall('settings.set', [{ backend: 'wasm' }]), null);
  assert.equal(validateCall('settings.set', [{ threads: 4 }]), null);
  assert.match(validateCall('settings.set', [{ threads: -1 }])!, /threads/);
  assert.match(validateCall('settings.set', [{ threads: 2.5 }])!, /threads/);
  assert.match(validateCall('settings.set', [{ backend: 'cuda' }])!, /backend must be one of/);
  assert.match(validateCall('settings.set', [{ dataDir: '/x' }])!, /dataDir is not a known field/);
});

test('dispatch: unknown channel, invalid payload, thrown UserError and internal errors become IpcResults', async () => {
  const calls: unknown[] = [];
  const handlers = {
    'terms.remove': async (id: number) => {
      calls.push(id);
      if (id === 2) throw Object.assign(new Error('There is no term with id 2.'), { code: 'NOT_FOUND' });
      if (id === 3) throw new TypeError('boom');
    },
  } as unknown as Handlers;
  assert.deepEqual(await dispatch(handlers, 'fs.readFile', []), { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: '"fs.readFile" is not an API channel.' } });
  const bad = (await dispatch(handlers, 'terms.remove', ['x'])) as IpcResult<unknown>;
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.error.code, 'INVALID_ARGUMENT');
  assert.deepEqual(calls, [], 'the handler never runs on an invalid payload');
  assert.deepEqual(await dispatch(handlers, 'terms.remove', 'not-an-array'), { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'terms.remove: arguments must be an array.' } });
  assert.deepEqual(await dispatch(handlers, 'terms.remove', [1]), { ok: true, value: null });
  assert.deepEqual(await dispatch(handlers, 'terms.remove', [2]), { ok: false, error: { code: 'NOT_FOUND', message: 'There is no term with id 2.' } });
  const internal = await dispatch(handlers, 'terms.remove', [3]);
  assert.equal(!internal.ok && internal.error.code, 'INTERNAL');
  assert.match(!internal.ok ? internal.error.message : '', /boom.*bug/);
});

test('wire codec round-trips typed arrays inside JSON', () => {
  const pcm = new Float32Array([0, 0.5, -1, 1e-7]);
  const bytes = new Uint8Array(70000).map((_, i) => i % 251);
  const back = decodeWire(encodeWire({ id: 1, args: [{ pcm, bytes, name: 'a.wav' }] })) as { args: [{ pcm: Float32Array; bytes: Uint8Array; name: string }] };
  assert.ok(back.args[0].pcm instanceof Float32Array);
  assert.deepEqual([...back.args[0].pcm], [...pcm]);
  assert.ok(back.args[0].bytes instanceof Uint8Array);
  assert.deepEqual(back.args[0].bytes, bytes);
  assert.equal(back.args[0].name, 'a.wav');
});
