/**
 * The CLI end of the malformed-checkpoint corpus: `vocab-tuner probe --model <bad>` must exit 1
 * with one `error [CODE]: …` line naming the file, and print nothing on stdout. (Few cases: each
 * spawns a process; the full corpus runs in-process in malformed-checkpoint.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const reference = path.resolve(repoRoot, '../shared/reference');
const micro = path.join(reference, 'models/whisper-micro-en');
const wav = path.join(reference, 'audio/jfk-16k.wav');
const skip =
  (!existsSync(path.join(repoRoot, 'src-main/cli/probe.ts')) && 'needs the probe command (src-main/cli/probe.ts)') ||
  (!existsSync(micro) && 'needs ../shared/reference (not in a fresh clone)');

function probe(model: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = path.join(repoRoot, 'bin/vocab-tuner.mjs');
  const args = [bin, 'probe', '--model', model, '--audio', wav, '--text', 'ask not', '--backend', 'cpu', '--json'];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: repoRoot, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

const cases: { name: string; corrupt: (dir: string) => void; code: string; names: string }[] = [
  { name: 'truncated model.safetensors', corrupt: (d) => truncateSync(path.join(d, 'model.safetensors'), 4_000_000), code: 'CHECKPOINT_INVALID', names: 'model.safetensors' },
  { name: 'missing tokenizer.json', corrupt: (d) => unlinkSync(path.join(d, 'tokenizer.json')), code: 'CHECKPOINT_INVALID', names: 'tokenizer.json' },
  { name: 'no such folder', corrupt: (d) => rmSync(d, { recursive: true }), code: 'CHECKPOINT_NOT_FOUND', names: 'vt-badcli-' },
];

for (const c of cases) {
  test(`probe --model with ${c.name} exits 1 with ${c.code}`, { skip, timeout: 90_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vt-badcli-'));
    try {
      for (const f of readdirSync(micro)) copyFileSync(path.join(micro, f), path.join(dir, f));
      c.corrupt(dir);
      const r = await probe(dir);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('error'));
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0].startsWith(`error [${c.code}]: `), r.stderr);
      assert.ok(lines[0].includes(c.names), r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
