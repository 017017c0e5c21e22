/**
 * The desktop app's hardening that runs without Electron's binary (issue 11, problem 13): the
 * app:// protocol handler serving real files (the same function Electron calls), the fuses in
 * electron-builder.yml, and jobs started through the utility-process adapter (run here over a
 * Node fork with utilityProcess's call shape, as the compiled-main stand-in does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_INDEX, APP_SCHEME_PRIVILEGES, appResponse } from '../../../src-main/electron/app-protocol.ts';
import { utilitySpawn } from '../../../src-main/electron/utility-jobs.ts';
import type { UtilityProcessLike } from '../../../src-main/electron/electron-like.ts';
import { JobHost } from '../../../src-main/jobs/host.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('app://vocab-tuner serves the renderer folder only, with the CSP and security headers', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-app-'));
  const dir = path.join(tmp, 'dist-renderer');
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Vocab Tuner</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app-1.js'), 'console.log(1)');
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(dir, 'link.txt'));
  try {
    const index = appResponse(dir, APP_INDEX);
    assert.equal(index.status, 200);
    assert.match(await index.text(), /Vocab Tuner/);
    assert.match(index.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const js = appResponse(dir, 'app://vocab-tuner/assets/app-1.js');
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(appResponse(dir, 'app://vocab-tuner/').status, 200, 'a folder path serves index.html');
    for (const url of ['app://vocab-tuner/..%2fsecret.txt', 'app://vocab-tuner/%2e%2e/secret.txt', 'app://vocab-tuner/link.txt', 'app://vocab-tuner/missing.js', 'app://other-host/index.html', 'file:///etc/passwd']) {
      assert.equal(appResponse(dir, url).status, 404, url);
    }
    assert.equal(appResponse(dir, 'app://vocab-tuner/%E0%A4%A', 'GET').status, 400);
    assert.equal(appResponse(dir, APP_INDEX, 'POST').status, 405);
    assert.deepEqual(APP_SCHEME_PRIVILEGES.privileges, { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('electron-builder.yml flips the fuses', () => {
  const yml = fs.readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8');
  const block = /^electronFuses:\n((?:[ ]{2}.*\n)+)/m.exec(yml)?.[1] ?? '';
  const fuses = Object.fromEntries([...block.matchAll(/^\s+(\w+):\s*(true|false)\s*$/gm)].map((m) => [m[1], m[2] === 'true']));
  assert.deepEqual(fuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
});

test('jobs run through the utility-process adapter (RunAsNode off): result, progress and a kill', async () => {
  const forks: string[] = [];
  const utilityProcess: UtilityProcessLike = {
    fork: (modulePath, args, opts) => {
      forks.push(opts.serviceName);
      const child = fork(modulePath, args, { execArgv: opts.execArgv, env: opts.env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      return {
        get pid() {
          return child.pid;
        },
        postMessage: (m: unknown) => void child.send(m as object),
        on: (event: string, fn: (...a: any[]) => void) => (event === 'exit' ? child.on('exit', (code, signal) => fn(code ?? (signal ? 1 : 0))) : child.on('message', fn)),
        kill: () => child.kill('SIGKILL'),
      } as ReturnType<UtilityProcessLike['fork']>;
    },
  };
  const events: string[] = [];
  const host = new JobHost((e) => events.push(e.name), { spawn: utilitySpawn(utilityProcess), cancelGraceMs: 200 });
  const alloc = fileURLToPath(new URL('../../helpers/alloc-job.ts', import.meta.url));
  const o = await host.wait(host.startModule('selftest', alloc, { mb: 2 }));
  assert.deepEqual(o, { status: 'done', result: { mb: 2 }, error: null });
  assert.deepEqual(forks, ['Vocab Tuner job']);
  assert.ok(events.includes('job.progress') && events.at(-1) === 'job.finished');
  const long = host.startModule('selftest', alloc, { mb: 1, holdMs: 30_000 });
  const done = host.wait(long);
  await new Promise((r) => setTimeout(r, 1500));
  host.cancel(long);
  assert.equal((await done).status, 'cancelled');
});
