/**
 * The `models` and `export` commands as a user runs them: real processes, a fake Hub on
 * 127.0.0.1 reached through HF_ENDPOINT, and a private HF_HOME.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeWhisperRepo, startFakeHub } from '../models/fake-hub.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const CLI = path.join(repoRoot, 'bin/vocab-tuner.mjs');
const FIXTURE = path.resolve(repoRoot, '../shared/reference/models/whisper-micro-en');

type Run = { code: number; stdout: string; stderr: string };

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    // Only what the command needs: no HF_* or proxy variables from the machine.
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env }, cwd: repoRoot }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('models download → list → rm through the CLI with --json', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'vt-cli-hf-'));
  const repo = makeWhisperRepo('acme/whisper-cli', 'cli1', 64 * 1024);
  const hub = await startFakeHub([repo]);
  const env = { HF_HOME: home, HF_ENDPOINT: hub.endpoint };
  try {
    const dl = await cli(['models', 'download', repo.id, '--json'], env);
    assert.equal(dl.code, 0, dl.stderr);
    const lines = dl.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const done = lines.at(-1);
    assert.equal(done.event, 'done');
    assert.equal(done.commit, repo.commit);
    assert.equal(done.snapshotDir, path.join(home, 'hub', 'models--acme--whisper-cli', 'snapshots', repo.commit));
    assert.ok(lines.slice(0, -1).every((l) => l.event === 'progress' && typeof l.bytes === 'number' && typeof l.total === 'number'));
    assert.ok(readFileSync(path.join(done.snapshotDir, 'model.safetensors')).equals(repo.files.get('model.safetensors')!));

    const list = await cli(['models', 'list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout);
    assert.equal(listed.cacheDir, path.join(home, 'hub'));
    assert.ok(listed.known.some((m: { repo: string; cached: boolean }) => m.repo === 'openai/whisper-large-v3-turbo' && !m.cached));
    assert.deepEqual(listed.others.map((c: { repo: string; usable: boolean }) => [c.repo, c.usable]), [[repo.id, true]]);

    const rm = await cli(['models', 'rm', repo.id], env);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /Removed acme\/whisper-cli/);
    assert.ok(!existsSync(path.join(home, 'hub', 'models--acme--whisper-cli')));

    const missing = await cli(['models', 'download', 'acme/nothing-here'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error \[HUB_REPO_NOT_FOUND\]: acme\/nothing-here@main: the repository does not exist/m);
  } finally {
    await hub.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('export --format ggml writes the file, merges an --adapter first, and rejects a folder that is no adapter', { skip: !existsSync(FIXTURE) && 'needs ../shared/reference (not in a fresh clone)' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-cli-export-'));
  try {
    const out = path.join(dir, 'ggml-micro.bin');
    const r = await cli(['export', '--model', FIXTURE, '--format', 'ggml', '--ggml-type', 'f32', '--out', out, '--json'], { HF_HOME: dir });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.format, 'ggml');
    assert.equal(j.type, 'f32');
    assert.equal(j.bytes, statSync(out).size);
    assert.equal(readFileSync(out).readUInt32LE(0), 0x67676d6c);

    // A merged "adapter" equal to the base (the fixture itself) must give the base's bytes.
    const merged = path.join(dir, 'ggml-merged.bin');
    const viaAdapter = await cli(['export', '--model', FIXTURE, '--format', 'ggml', '--ggml-type', 'f32', '--adapter', FIXTURE, '--out', merged, '--json'], { HF_HOME: dir });
    assert.equal(viaAdapter.code, 0, viaAdapter.stderr);
    assert.ok(readFileSync(merged).equals(readFileSync(out)), 'base + identical merged model = base');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.vt-merge-')), [], 'the temporary merge folder is removed');

    const adapter = await cli(['export', '--model', FIXTURE, '--format', 'ggml', '--adapter', dir, '--out', out], { HF_HOME: dir });
    assert.equal(adapter.code, 1);
    assert.match(adapter.stderr, /error \[ADAPTER_INVALID\]/);

    const notCached = await cli(['export', '--model', 'base.en', '--format', 'ggml', '--out', out], { HF_HOME: dir });
    assert.equal(notCached.code, 1);
    assert.match(notCached.stderr, /error \[MODEL_NOT_FOUND\]: openai\/whisper-base\.en is not downloaded yet; run `vocab-tuner models download openai\/whisper-base\.en`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
