/**
 * The preload exactly as Electron loads it: the bundle scripts/build-electron.mjs produces, run in
 * a fresh VM context whose only module is a stand-in 'electron' (a sandboxed preload can require
 * nothing else). Checks that only `window.api` is exposed, built from the contract's lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { API_CHANNELS, type ApiClient } from '../../../src-main/ipc/contract.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('the bundled preload exposes only window.api, for contract channels only, and never ipcRenderer', async () => {
  const b = spawnSync(process.execPath, ['scripts/build-electron.mjs'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const code = readFileSync(`${ROOT}/dist-electron/preload.cjs`, 'utf8');
  const exposed: Record<string, unknown> = {};
  const invoked: unknown[][] = [];
  const listeners = new Map<string, (...a: unknown[]) => void>();
  const required: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (k: string, v: unknown) => void (exposed[k] = v) },
    ipcRenderer: {
      invoke: async (...a: unknown[]) => (invoked.push(a), { ok: true, value: 'pong' }),
      on: (ch: string, fn: (...a: unknown[]) => void) => void listeners.set(ch, fn),
      removeListener: (ch: string) => void listeners.delete(ch),
    },
  };
  const req = (m: string) => {
    required.push(m);
    if (m !== 'electron') throw new Error(`a sandboxed preload cannot require ${m}`);
    return electron;
  };
  vm.runInNewContext(code, { require: req, module: { exports: {} }, exports: {} });
  assert.deepEqual(required, ['electron']);
  assert.deepEqual(Object.keys(exposed), ['api']);
  const api = exposed.api as ApiClient & Record<string, unknown>;
  assert.deepEqual(Object.keys(api).sort(), ['invoke', 'on']);
  assert.deepEqual(await api.invoke('terms.remove', 3), { ok: true, value: 'pong' });
  assert.deepEqual(invoked, [['vt:terms.remove', 3]]);
  await assert.rejects(() => (api.invoke as (c: string) => Promise<unknown>)('fs.readFile'), /Unsupported API channel/);
  assert.equal(invoked.length, 1, 'an unknown channel never reaches IPC');
  assert.throws(() => api.on('secret.event' as never, () => {}), /Unsupported event/);
  const got: unknown[] = [];
  const off = api.on('data.changed', (p) => got.push(p));
  listeners.get('vt-event:data.changed')!({ sender: 'the IPC event object' }, { what: 'terms' });
  assert.deepEqual(got, [{ what: 'terms' }], 'only the payload reaches the page');
  off();
  assert.equal(listeners.size, 0);
  assert.ok(API_CHANNELS.every((c) => code.includes(`"${c}"`)), 'every contract channel is in the bundle');
});
