#!/usr/bin/env node
// `npm start`: build the renderer and the preload, make sure a better-sqlite3 binary built for
// Electron's ABI exists in build-electron/ (node_modules keeps the plain-Node build, so `npm test`
// still works), then launch Electron on src-main/electron/bootstrap.mjs (package.json "main").
//
// Why a separate folder: better-sqlite3 is a native addon; Node and Electron have different ABIs
// (NODE_MODULE_VERSION). `electron-builder install-app-deps` would rebuild it in node_modules for
// Electron and break `npm test` under Node. bootstrap.mjs sets VOCAB_TUNER_SQLITE_BINDING to the
// Electron build, which the store passes to better-sqlite3 as `nativeBinding`.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, copyFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn']);
run(process.execPath, ['scripts/build-electron.mjs']);

const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version;
const outDir = join(root, 'build-electron');
const binding = join(outDir, 'better_sqlite3.node');
const stamp = join(outDir, `electron-${electronVersion}`);
if (!existsSync(binding) || !existsSync(stamp)) {
  console.error(`rebuilding better-sqlite3 for Electron ${electronVersion} into build-electron/ (needs a C++ toolchain and, once, Electron's headers from electronjs.org)…`);
  const src = join(outDir, 'better-sqlite3');
  mkdirSync(outDir, { recursive: true });
  cpSync(join(root, 'node_modules/better-sqlite3'), src, { recursive: true, filter: (p) => !p.includes(`${join('better-sqlite3', 'build')}`) });
  run(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers', '--release'], { cwd: src });
  copyFileSync(join(src, 'build/Release/better_sqlite3.node'), binding);
  copyFileSync(binding, stamp);
}

const electron = require('electron'); // the path of the Electron binary
run(electron, ['.', ...process.argv.slice(2)]);
