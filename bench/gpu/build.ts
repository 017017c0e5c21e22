/**
 * `npm run bench:gpu-bundle`: builds dist/gpu-bench/ and dist/gpu-bench.tar.gz, a self-contained
 * GPU benchmark for a Linux x86-64 NVIDIA machine that has Python with torch but no Node, no
 * node_modules (900 MB) and no network:
 *
 *   run.sh                              unpacks the .xz files on first run, runs, writes one JSON
 *   bin/node.xz                         this machine's node binary (process.execPath)
 *   app/bench.mjs                       esbuild bundle of bench/gpu/entry.ts, tfjs inlined
 *   app/node_modules/webgpu/            the webgpu package's index.js + linux-x64 dawn.node.xz
 *   app/tokenizer/                      ../shared/reference/tokenizer (the checkpoint is written at run time)
 *   app/torch/*.py                      the PyTorch reference and its driver (CUDA when available)
 *
 * The archive must stay under 64 MiB (the limit the issue sets); the build fails above it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBenchmark } from './bundle.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const DIST = path.join(REPO, 'dist');
const OUT = path.join(DIST, 'gpu-bench');
const ARCHIVE = path.join(DIST, 'gpu-bench.tar.gz');
const LIMIT = 64 * 2 ** 20;
const log = (msg: string) => process.stderr.write(`[gpu-bundle] ${msg}\n`);
const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the bundle carries this machine's node and dawn.node: build it on linux-x64 (this is ${process.platform}-${process.arch})`);
const tokenizerDir = path.resolve(REPO, '../shared/reference/tokenizer');
if (!existsSync(tokenizerDir)) throw new Error(`needs the tokenizer files at ${tokenizerDir}`);
const webgpuDir = path.join(REPO, 'node_modules/webgpu');
const dawn = path.join(webgpuDir, 'dist/linux-x64/dawn.node');
if (!existsSync(dawn)) throw new Error(`${dawn} is missing: run npm install`);

rmSync(OUT, { recursive: true, force: true });
mkdirSync(path.join(OUT, 'bin'), { recursive: true });
mkdirSync(path.join(OUT, 'app/node_modules/webgpu/dist/linux-x64'), { recursive: true });

log('esbuild: bench/gpu/entry.ts → app/bench.mjs (+ app/torch/*.py)');
const bundled = await bundleBenchmark(path.join(OUT, 'app'));
log(`bench.mjs ${mb(bundled.bytes)} (${bundled.inputs} inputs)`);

for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyFileSync(path.join(webgpuDir, f), path.join(OUT, 'app/node_modules/webgpu', f));
cpSync(tokenizerDir, path.join(OUT, 'app/tokenizer'), { recursive: true });
// shared/ is read-only; writable copies let the next build (and a non-root user) remove them.
chmodSync(path.join(OUT, 'app/tokenizer'), 0o755);
for (const f of readdirSync(path.join(OUT, 'app/tokenizer'))) chmodSync(path.join(OUT, 'app/tokenizer', f), 0o644);
copyFileSync(path.join(HERE, 'run.sh'), path.join(OUT, 'run.sh'));
chmodSync(path.join(OUT, 'run.sh'), 0o755);

/** xz -9 (multi-threaded where xz can) into `dest`.xz; returns the compressed size. */
function xz(src: string, dest: string): number {
  const t0 = performance.now();
  const data = execFileSync('xz', ['-9', '-T0', '-c', src], { maxBuffer: 256 * 2 ** 20 });
  writeFileSync(`${dest}.xz`, data);
  log(`${path.basename(src)}: ${mb(statSync(src).size)} → ${mb(data.length)} xz (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return data.length;
}
log(`xz ${process.execPath} (node ${process.version})`);
xz(process.execPath, path.join(OUT, 'bin/node'));
xz(dawn, path.join(OUT, 'app/node_modules/webgpu/dist/linux-x64/dawn.node'));
writeFileSync(path.join(OUT, 'BUILD.json'), JSON.stringify({
  builtAt: new Date().toISOString(), node: process.version, webgpu: JSON.parse(readFileSync(path.join(webgpuDir, 'package.json'), 'utf8')).version,
  commit: (() => { try { return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim(); } catch { return null; } })(),
}, null, 2) + '\n');

rmSync(ARCHIVE, { force: true });
execFileSync('tar', ['-czf', ARCHIVE, '-C', DIST, 'gpu-bench']);
const size = statSync(ARCHIVE).size;
console.log(`${path.relative(process.cwd(), ARCHIVE)}: ${mb(size)} (${size} bytes; limit ${mb(LIMIT)})`);
console.log(`On the GPU machine: tar xzf gpu-bench.tar.gz && ./gpu-bench/run.sh   (writes ./gpu-bench-result.json)`);
if (size >= LIMIT) {
  console.error(`the archive is ${mb(size)}, over the ${mb(LIMIT)} limit`);
  process.exit(1);
}
