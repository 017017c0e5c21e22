#!/usr/bin/env node
// `npm run build:main`: compile the main process (src-main/) to JavaScript with esbuild, so the
// desktop app starts without tsx transpiling TypeScript at every launch.
//
// Layout: dist-main/ mirrors src-main/ one level deep (dist-main/electron/main.js,
// dist-main/jobs/worker.js, dist-main/jobs/tune-job.js …) and shared code goes to dist-main/chunks/.
// Every output file therefore sits two folders below the repository root, like its source, so the
// paths the code finds relative to itself keep working: '../../package.json', '../../resources/…',
// '../jobs/<name>.ts' (job modules; the job host and worker take the compiled .js beside a missing
// .ts, see util/module-path.ts) and '../recipe/templates/' (copied below).
//
// Packages stay external (resolved from node_modules at run time): native addons (better-sqlite3,
// webgpu, tfjs-node-gpu) and the wasm backends' .wasm files must load from their own folders.
import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const final = join(root, 'dist-main');
// Built beside it, then swapped in: a process running from dist-main/ (the app, or a test running
// the compiled main while another test rebuilds it) never sees a half-written tree. Same depth
// below the root, so the relative paths above hold in the partial tree too.
const out = join(root, `dist-main.partial-${process.pid}`);
const jobs = readdirSync(join(root, 'src-main/jobs')).filter((f) => f.endsWith('-job.ts')).map((f) => `src-main/jobs/${f}`);

rmSync(out, { recursive: true, force: true });
const t0 = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src-main/electron/main.ts', 'src-main/jobs/worker.ts', ...jobs],
  outbase: 'src-main',
  outdir: out,
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true, // one copy of each module per process, shared by the entry points
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  // The main process and the workers are ES modules that may still need require() for CommonJS-only
  // packages loaded through createRequire; nothing else is injected.
});
for (const dir of ['recipe/templates']) {
  const src = join(root, 'src-main', dir);
  if (existsSync(src)) cpSync(src, join(out, dir), { recursive: true });
}
const old = join(root, `dist-main.old-${process.pid}`);
if (existsSync(final)) renameSync(final, old);
renameSync(out, final);
rmSync(old, { recursive: true, force: true });
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
const bytes = files.reduce((s, f) => s + result.metafile.outputs[f].bytes, 0);
console.error(`built dist-main/ (${files.length} files, ${(bytes / 1024).toFixed(0)} kB) in ${Date.now() - t0} ms`);
