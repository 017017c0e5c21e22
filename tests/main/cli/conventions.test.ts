/**
 * Command-line conventions, checked on the real `vocab-tuner` process: usage errors exit 2 with
 * the usage on stderr (stdout stays clean for pipes), global options go before the command, and
 * HF_HUB_OFFLINE is read as huggingface_hub reads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { downloadModel, isEnvTrue } from '../../../src-main/models/download.ts';
import { UserError } from '../../../src-main/util/errors.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const CLI = path.join(repoRoot, 'bin/vocab-tuner.mjs');

type Run = { code: number; stdout: string; stderr: string };

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env }, cwd: repoRoot }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('usage errors exit 2 with the usage on stderr and nothing on stdout', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vt-cli-conv-'));
  try {
    const cases: { args: string[]; error: RegExp; usage: RegExp }[] = [
      { args: ['data', 'stats', '--bogus', '--data-dir', dataDir], error: /error \[USAGE\]: Unknown option '--bogus'/, usage: /Usage: vocab-tuner data <command>/ },
      { args: ['frobnicate'], error: /error \[USAGE\]: unknown command "frobnicate"/, usage: /Usage: vocab-tuner <command>/ },
      { args: [], error: /^/, usage: /Usage: vocab-tuner <command>/ },
      { args: ['data'], error: /^/, usage: /Usage: vocab-tuner data <command>/ },
      { args: ['data', 'import', '--data-dir', dataDir], error: /error \[USAGE\]: "data import" needs a folder/, usage: /Usage: vocab-tuner data <command>/ },
      { args: ['tune', '--data', 'x', '--out', 'y'], error: /error \[MISSING_ARGUMENT\]: --model is required/, usage: /tune/ },
      { args: ['transcribe', '--beam', '99', 'a.wav', '--model', 'm'], error: /error \[INVALID_ARGUMENT\]: --beam must be an integer/, usage: /Usage/ },
      { args: ['--frob', 'backends'], error: /error \[USAGE\]: unknown global option "--frob"/, usage: /Usage: vocab-tuner <command>/ },
      { args: ['--backend=quantum', 'backends'], error: /error \[USAGE\]: unknown backend "quantum"/, usage: /Usage: vocab-tuner <command>/ },
      { args: ['--backend'], error: /--backend needs a value/, usage: /Usage: vocab-tuner <command>/ },
    ];
    const runs = await Promise.all(cases.map((c) => cli(c.args)));
    runs.forEach((r, i) => {
      const c = cases[i];
      const what = `vocab-tuner ${c.args.join(' ')}`;
      assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
      assert.equal(r.stdout, '', `${what}: stdout should be empty`);
      assert.match(r.stderr, c.error, what);
      assert.match(r.stderr, c.usage, what);
    });
    // A runtime failure is not a usage error: exit 1, no usage text.
    const fail = await cli(['transcribe', '--model', path.join(dataDir, 'no-such-model'), 'a.wav']);
    assert.equal(fail.code, 1, fail.stderr);
    assert.doesNotMatch(fail.stderr, /Usage:/);
    // Help is not an error.
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Global: --backend/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('global --backend before the command applies to it (and the command sees it as VOCAB_TUNER_BACKEND)', async () => {
  for (const args of [['--backend', 'cpu', 'backends', '--json'], ['--backend=cpu', 'backends', '--json']]) {
    const r = await cli(args);
    assert.equal(r.code, 0, r.stderr);
    const choice = JSON.parse(r.stdout);
    assert.equal(choice.chosen, 'cpu', args.join(' '));
  }
});

test('HF_HUB_OFFLINE is read as huggingface_hub reads it: 1/ON/YES/TRUE in any case', async () => {
  for (const v of ['1', 'ON', 'on', 'Yes', 'yes', 'TRUE', 'True', 'true']) assert.equal(isEnvTrue(v), true, v);
  for (const v of [undefined, '', '0', 'off', 'no', 'false', '2', 'y', ' 1']) assert.equal(isEnvTrue(v), false, String(v));
  // Offline with an empty cache answers from the cache (MODEL_NOT_CACHED) without touching the
  // network: the endpoint is a closed port, so a request would fail differently.
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'vt-offline-'));
  try {
    for (const v of ['yes', 'On']) {
      await assert.rejects(downloadModel('acme/whisper-none', { cacheDir, env: { HF_HUB_OFFLINE: v, HF_ENDPOINT: 'http://127.0.0.1:9' } }), (e: unknown) => {
        assert.ok(e instanceof UserError && e.code === 'MODEL_NOT_CACHED', String(e));
        assert.match((e as Error).message, /HF_HUB_OFFLINE is set/);
        return true;
      });
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
