/**
 * `npm start` (scripts/start-electron.mjs) where Electron's binary cannot be had, as on these test
 * machines: one paragraph offering the browser mode, exit 1, no stack trace, nothing built first.
 * And the ABI check it runs before stamping a better-sqlite3 build as Electron's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
// @ts-expect-error: a plain .mjs build script without type declarations
import { addonAbi, electronAbi } from '../../../scripts/native-abi.mjs';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const electronDir = path.join(repoRoot, 'node_modules/electron');
const hasBinary = existsSync(path.join(electronDir, 'path.txt'));

test('npm start without Electron\'s binary says so in one paragraph and offers `npx vocab-tuner serve`', { skip: hasBinary && 'Electron\'s binary is installed here' }, async () => {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [path.join(repoRoot, 'scripts/start-electron.mjs')], { cwd: repoRoot, env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /desktop window needs Electron's program, and it is not installed/);
  assert.match(r.stderr, /npx vocab-tuner serve/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stderr + r.stdout, /rebuilding better-sqlite3|built dist-main/, 'stops before building anything');
});

test('the ABI check reads the addon\'s own registration symbol: node_modules\' better-sqlite3 is Node\'s ABI, not Electron\'s', () => {
  const nodeBuild = path.join(repoRoot, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  assert.equal(addonAbi(nodeBuild), Number(process.versions.modules));
  const electron = electronAbi(electronDir);
  assert.ok(Number.isInteger(electron) && electron > 100, String(electron));
  assert.notEqual(addonAbi(nodeBuild), electron, 'a Node build must never be stamped as the Electron build');
});
