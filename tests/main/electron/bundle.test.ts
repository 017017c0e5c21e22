/**
 * The compiled main process (`npm run build:main`: esbuild → dist-main/) as the desktop app runs
 * it: built for real, then started under plain Node with the Electron stand-in answering
 * `import 'electron'` (stand-in/; the Electron binary cannot be downloaded here). It must reach
 * "store open, IPC registered, window created", answer IPC from its window, and run a job through
 * the compiled worker (a decode and the tfjs backend probe) — without tsx or a single TypeScript file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { API_CHANNELS } from '../../../src-main/ipc/contract.ts';
import { encodeWavPcm16 } from '../../../src-main/audio/wav.ts';
import { buildMain, runCompiledMain } from '../../helpers/compiled-main.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const DIST = path.join(repoRoot, 'dist-main');

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? jsFiles(p) : n.endsWith('.js') ? [p] : [];
  });
}

test('build:main compiles src-main with esbuild; every package the output imports is declared, tsx is not a dependency', () => {
  buildMain();
  assert.ok(existsSync(path.join(DIST, 'electron/main.js')));
  assert.ok(existsSync(path.join(DIST, 'jobs/worker.js')));
  assert.ok(existsSync(path.join(DIST, 'jobs/tune-job.js')));
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  assert.equal(pkg.main, 'dist-main/electron/main.js');
  assert.equal(pkg.dependencies.tsx, undefined, 'tsx must not be a run-time dependency of the app');
  const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]);
  const imported = new Set<string>();
  for (const f of jsFiles(DIST)) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/g)) {
      const spec = m[1];
      if (spec.startsWith('node:')) continue;
      imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  imported.delete('electron'); // provided by the Electron runtime itself
  const builtins = new Set(['fs', 'path', 'os', 'url', 'crypto', 'child_process', 'module', 'util', 'worker_threads', 'stream', 'events', 'http', 'https', 'net', 'zlib']);
  const undeclared = [...imported].filter((p) => !declared.has(p) && !builtins.has(p));
  assert.deepEqual(undeclared, [], `imported by dist-main/ but not in dependencies: ${undeclared.join(', ')}`);
  assert.ok(imported.has('better-sqlite3') && imported.has('@tensorflow/tfjs-core'), [...imported].join(', '));
});

test('the compiled main process starts under Node with the Electron stand-in: store open, IPC registered, window created; a job runs compiled', async () => {
  if (!existsSync(path.join(DIST, 'electron/main.js'))) buildMain();
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-bundle-'));
  try {
    const wav = path.join(dir, 'tone.wav');
    const tone = new Float32Array(22050).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 22050));
    writeFileSync(wav, encodeWavPcm16(tone, 22050));
    const userData = path.join(dir, 'user-data');
    const script = [{ call: 'app.info' }, { call: 'clips.import', args: [{ name: 'tone.wav', bytes: { $file: wav }, transcript: 'a tone' }] }, { call: 'clips.list', args: [{}] }, { call: 'backends.list' }];
    const { records, stderr, code } = await runCompiledMain({ STAND_IN_USER_DATA: userData, STAND_IN_SCRIPT: JSON.stringify(script) });
    assert.equal(code, 0, stderr);
    assert.equal(records.find((r) => r.event === 'stand-in.error'), undefined, JSON.stringify(records.find((r) => r.event === 'stand-in.error')));
    // Store open: the data dir is Electron's userData, and the database is there.
    assert.ok(records.some((r) => r.event === 'app.getPath' && r.name === 'userData'));
    assert.ok(existsSync(path.join(userData, 'vocab-tuner.db')), 'store opened in userData');
    // IPC registered: one handler per contract channel.
    const handled = new Set(records.filter((r) => r.event === 'ipcMain.handle').map((r) => r.channel));
    for (const ch of API_CHANNELS) assert.ok(handled.has(`vt:${ch}`), `no IPC handler for ${ch}`);
    // Window created, sandboxed, loading the built renderer.
    const win = records.find((r) => r.event === 'BrowserWindow');
    assert.ok(win && win.sandbox === true && win.contextIsolation === true, JSON.stringify(win));
    // …from its own app:// origin (registered privileged before 'ready', served by the app's handler), not file://.
    assert.ok(records.some((r) => r.event === 'protocol.registerSchemesAsPrivileged' && JSON.stringify(r.schemes).includes('"scheme":"app"')));
    assert.ok(records.some((r) => r.event === 'BrowserWindow.loadURL' && r.url === 'app://vocab-tuner/index.html'), 'the page is loaded from app://');
    const page = records.find((r) => r.event === 'protocol.response');
    assert.ok(page && (page.status === 200 || (page.status === 404 && !existsSync(path.join(repoRoot, 'dist-renderer', 'index.html')))) && page.csp === true, JSON.stringify(page));
    // Jobs ran as utility processes (the packaged app's RunAsNode fuse is off).
    assert.ok(records.some((r) => r.event === 'utilityProcess.fork'), 'jobs start through utilityProcess.fork');
    // IPC answered from the window's page, by the real store; the import ran in a compiled job.
    const results = records.filter((r) => r.event === 'ipc.result') as unknown as { channel: string; result: { ok: boolean; value: any } }[];
    assert.deepEqual(results.map((r) => [r.channel, r.result.ok]), [['app.info', true], ['clips.import', true], ['clips.list', true], ['backends.list', true]], JSON.stringify(results));
    assert.equal(results[0].result.value.mode, 'electron');
    assert.equal(results[0].result.value.dataDir, userData);
    assert.equal(results[1].result.value.durationSec, 1);
    assert.equal(results[2].result.value.length, 1);
    // tfjs in a compiled job: the backend probe loads tfjs-core and every backend package.
    assert.ok(['tensorflow', 'webgpu', 'wasm', 'cpu'].includes(results[3].result.value.chosen), JSON.stringify(results[3].result.value));
    assert.ok(records.some((r) => r.event === 'quit'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
