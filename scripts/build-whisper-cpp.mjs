#!/usr/bin/env node
// Builds whisper.cpp's `whisper-cli` into .tmp/whisper.cpp/bin/ so the ggml export test can run
// the exported file through the real whisper.cpp loader. Debian 12 has no whisper.cpp package;
// the npm package nodejs-whisper ships whisper.cpp's sources (v1.8-era tree under cpp/whisper.cpp),
// so the registry is the one place to get them here. Needs cmake and a C++ compiler; ~3–5 min on
// 2 cores. Usage: node scripts/build-whisper-cpp.mjs
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const PKG = 'nodejs-whisper@0.3.1';
const root = new URL('..', import.meta.url).pathname;
const work = join(root, '.tmp/whisper.cpp');
const src = join(work, 'src');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });

for (const tool of ['cmake', 'c++', 'tar']) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch {
    console.error(`error: ${tool} is needed to build whisper.cpp (apt-get install cmake g++)`);
    process.exit(1);
  }
}
rmSync(src, { recursive: true, force: true });
mkdirSync(src, { recursive: true });
run('npm', ['pack', PKG, '--silent', '--pack-destination', src], src);
const tgz = readdirSync(src).find((f) => f.endsWith('.tgz'));
run('tar', ['xzf', tgz], src);
const tree = join(src, 'package/cpp/whisper.cpp');
if (!existsSync(join(tree, 'CMakeLists.txt'))) {
  console.error(`error: ${PKG} no longer ships whisper.cpp sources at cpp/whisper.cpp`);
  process.exit(1);
}
// Static, portable (no -march=native), CPU only, no OpenMP: only whisper-cli is built.
run('cmake', ['-B', 'build', '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_SHARED_LIBS=OFF', '-DWHISPER_BUILD_TESTS=OFF', '-DWHISPER_BUILD_SERVER=OFF', '-DGGML_NATIVE=OFF', '-DGGML_OPENMP=OFF'], tree);
run('cmake', ['--build', 'build', '--target', 'whisper-cli', '-j', '2'], tree);
mkdirSync(join(work, 'bin'), { recursive: true });
copyFileSync(join(tree, 'build/bin/whisper-cli'), join(work, 'bin/whisper-cli'));
rmSync(src, { recursive: true, force: true });
console.log(join(work, 'bin/whisper-cli'));
