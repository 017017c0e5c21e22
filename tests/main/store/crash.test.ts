/**
 * Crash safety: a child process saves recordings in a loop and is SIGKILLed at random points,
 * 200 times (VOCAB_TUNER_CRASH_KILLS to change). After every kill the store is reopened and:
 * every committed clip's file exists, matches its sha256 and decodes as 16 kHz mono WAV; no row
 * points at a missing file; every file in audio/ is a complete, correctly named clip (partials
 * only ever live in .tmp); and the number of committed clips never goes down.
 * Two writers run side by side on separate data dirs to keep the wall time near a minute. The
 * writer (the real store code) is bundled once with esbuild (tsx's own compiler), because
 * starting it through tsx costs ~0.5 s per spawn, ×200.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { listAudioFiles, readAudioVerified, sha256Hex } from '../../../src-main/store/audio-files.ts';
import { closeStore, openStore } from '../../../src-main/store/store.ts';
import { doctor } from '../../../src-main/store/doctor.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KILLS = Number(process.env.VOCAB_TUNER_CRASH_KILLS ?? 200);
const LANES = 2;

/** argv to start the writer: a bundled .mjs when esbuild is there (it comes with tsx), else tsx. */
async function writerArgv(): Promise<string[]> {
  const entry = 'tests/helpers/store-writer.ts';
  try {
    const esbuild = await import('esbuild');
    // Inside the repo (the git-ignored .tmp/) so the bundle resolves better-sqlite3 from node_modules.
    fs.mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
    const outfile = path.join(fs.mkdtempSync(path.join(repoRoot, '.tmp', 'crash-')), 'store-writer.mjs');
    esbuild.buildSync({ entryPoints: [path.join(repoRoot, entry)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error' });
    return [outfile];
  } catch {
    return ['--import', 'tsx', entry];
  }
}

function runAndKill(writer: string[], dataDir: string, seed: number, rnd: () => number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...writer, dataDir, String(seed)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const kill = () => child.kill('SIGKILL');
    // One kill in ten lands at a random moment of startup (opening, migrating); the rest while
    // clips are being written (a save takes a few ms, so 0–60 ms hits every step of it).
    if (rnd() < 0.1) setTimeout(kill, rnd() * 400);
    else child.stdout.once('data', () => setTimeout(kill, rnd() * 60));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve();
      else reject(new Error(`writer exited with ${code}: ${err}`));
    });
  });
}

const NAME = /^audio\/([0-9a-f]{2})\/([0-9a-f]{64})\.wav$/;

async function lane(writer: string[], lane: number, kills: number): Promise<{ committed: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `vt-crash-${lane}-`));
  let s = 12345 + lane;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 0x100000000);
  let verifiedUpTo = 0;
  let lastCount = 0;
  const seenFiles = new Set<string>();
  for (let k = 0; k < kills; k++) {
    await runAndKill(writer, dataDir, lane * 100000 + k + 1, rnd);
    if (!fs.existsSync(path.join(dataDir, 'vocab-tuner.db'))) continue; // killed before creating it
    const store = openStore(dataDir);
    try {
      const rows = store.db.prepare('SELECT r.id, r.file, r.sha256, t.text FROM recordings r LEFT JOIN transcripts t ON t.recording_id = r.id ORDER BY r.id').all() as { id: number; file: string; sha256: string; text: string | null }[];
      assert.ok(rows.length >= lastCount, `kill ${k}: committed clips went from ${lastCount} to ${rows.length}`);
      lastCount = rows.length;
      const files = listAudioFiles(dataDir);
      const fileSet = new Set(files);
      for (const r of rows) assert.ok(fileSet.has(r.file), `kill ${k}: clip ${r.id} points at missing ${r.file}`);
      for (const r of rows.filter((r) => r.id > verifiedUpTo)) {
        const wav = decodeWav(readAudioVerified(dataDir, r.file, r.sha256), r.file);
        assert.equal(wav.sampleRate, 16000);
        assert.equal(wav.channels.length, 1);
        assert.ok(r.text?.startsWith('clip '), `kill ${k}: clip ${r.id} lost its transcript`);
        verifiedUpTo = r.id;
      }
      for (const f of files.filter((f) => !seenFiles.has(f))) {
        const m = NAME.exec(f);
        assert.ok(m, `kill ${k}: unexpected file ${f} in audio/`);
        assert.equal(sha256Hex(fs.readFileSync(path.join(dataDir, f))), m[2], `kill ${k}: ${f} is partial or damaged`);
        seenFiles.add(f);
      }
    } finally {
      closeStore(store);
    }
  }
  const store = openStore(dataDir);
  const report = doctor(store);
  closeStore(store);
  assert.deepEqual(report.missing, []);
  assert.deepEqual(report.mismatched, []);
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { committed: lastCount };
}

test(`SIGKILL at random points ${KILLS} times loses no committed clip and exposes no partial file`, { timeout: 600_000 }, async () => {
  const writer = await writerArgv();
  const per = Math.ceil(KILLS / LANES);
  const results = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(writer, i, i === LANES - 1 ? KILLS - per * (LANES - 1) : per)));
  const total = results.reduce((a, r) => a + r.committed, 0);
  // The writer must actually have committed clips between kills, or the test proved nothing.
  assert.ok(total > KILLS, `only ${total} clips were committed across ${KILLS} kills`);
  if (writer[0].endsWith('.mjs')) fs.rmSync(path.dirname(writer[0]), { recursive: true, force: true });
});
