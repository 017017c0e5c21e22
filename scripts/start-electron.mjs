#!/usr/bin/env node
// `npm start`: make sure Electron's binary is there (else say so and offer the browser mode), build
// the renderer, the preload and the compiled main process (dist-main/, esbuild: no tsx at run
// time), make sure a better-sqlite3 built for Electron's ABI exists in build-electron/, then launch
// Electron on package.json "main" (dist-main/electron/main.js).
//
// Why a separate folder: better-sqlite3 is a native addon; Node and Electron have different ABIs
// (NODE_MODULE_VERSION). Rebuilding node_modules' copy for Electron would break `npm test` under
// Node, so @electron/rebuild builds a copy in build-electron/ and the main process points the store
// at it (VOCAB_TUNER_SQLITE_BINDING; see src-main/electron/main.ts).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonAbi, electronAbi } from './native-abi.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const electronDir = join(root, 'node_modules/electron');
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

/** The Electron executable, downloading it once if npm skipped that; null when it cannot be had. */
function electronBinary() {
  const located = () => {
    if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    const pathFile = join(electronDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const exe = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(exe) ? exe : null;
  };
  if (located()) return located();
  // Someone who set ELECTRON_SKIP_BINARY_DOWNLOAD asked for no download; respect that here too.
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || !existsSync(join(electronDir, 'install.js'))) return null;
  console.error('Electron\'s binary is not installed yet; downloading it (once)…');
  // Quietly: a failed download prints a stack trace that says nothing useful to a user.
  spawnSync(process.execPath, [join(electronDir, 'install.js')], { cwd: electronDir, stdio: 'ignore', timeout: 180_000 });
  return located();
}

const electron = electronBinary();
if (!electron) {
  console.error(`
Vocab Tuner's desktop window needs Electron's program, and it is not installed: npm did not
download it (offline, behind a proxy, ELECTRON_SKIP_BINARY_DOWNLOAD set, or a machine that blocks
the download from GitHub). Everything the app does also works in your browser, with nothing more
to install: run \`npx vocab-tuner serve\` and open the address it prints. To get the desktop window
later, allow the download (or set ELECTRON_MIRROR to a mirror you can reach), run
\`node node_modules/electron/install.js\`, then \`npm start\` again.
`);
  process.exit(1);
}

run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn']);
run(process.execPath, ['scripts/build-electron.mjs']);
run(process.execPath, ['scripts/build-main.mjs']);

const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
const abi = electronAbi(electronDir);
const outDir = join(root, 'build-electron');
const binding = join(outDir, 'better_sqlite3.node');
const stamp = join(outDir, `electron-${electronVersion}-abi-${abi}`);
if (!existsSync(binding) || !existsSync(stamp) || addonAbi(binding) !== abi) {
  console.error(`rebuilding better-sqlite3 for Electron ${electronVersion} (ABI ${abi}) into build-electron/ (needs a C++ toolchain and, once, Electron's headers from electronjs.org)…`);
  // A throw-away project holding only better-sqlite3, for @electron/rebuild to build in.
  const app = join(outDir, 'app');
  rmSync(app, { recursive: true, force: true });
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  const sqliteVersion = JSON.parse(readFileSync(join(root, 'node_modules/better-sqlite3/package.json'), 'utf8')).version;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'vocab-tuner-native', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }));
  cpSync(join(root, 'node_modules/better-sqlite3'), join(app, 'node_modules/better-sqlite3'), { recursive: true, filter: (p) => !p.includes(join('better-sqlite3', 'build')) });
  // `npm start` hands the user's npm config to child processes as npm_config_* variables, and
  // node-gyp prefers a `nodedir` over the --dist-url it is given: with nodedir=/usr it compiled
  // against the system Node's headers. Build with Electron's headers only.
  for (const k of Object.keys(process.env)) if (/^npm_config_(nodedir|target|runtime|disturl|dist_url|arch|build_from_source|node_gyp)$/i.test(k)) delete process.env[k];
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({ buildPath: app, electronVersion, arch: process.arch, onlyModules: ['better-sqlite3'], force: true, buildFromSource: true, headerURL: 'https://www.electronjs.org/headers', mode: 'sequential' });
  const built = join(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  const got = addonAbi(built);
  if (got !== abi) {
    console.error(`better-sqlite3 was built for ABI ${got}, but Electron ${electronVersion} needs ${abi}: the build used the wrong headers. Nothing was installed; remove build-electron/ and check \`npm config get nodedir\`.`);
    process.exit(1);
  }
  copyFileSync(built, binding);
  writeFileSync(stamp, `${abi}\n`);
}

run(electron, ['.', ...process.argv.slice(2)]);
