import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { doctor, isHealthy } from '../../../src-main/store/doctor.ts';
import { getOrCreateProject } from '../../../src-main/store/projects.ts';
import { readRecordingSamples, saveRecording } from '../../../src-main/store/recordings.ts';
import { closeStore, openStore } from '../../../src-main/store/store.ts';
import { tempDir } from '../../helpers/store-fixtures.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function clip(seed: number): Float32Array {
  return Float32Array.from({ length: 800 }, (_, i) => 0.1 * Math.sin(i * seed));
}

test('doctor reports missing, damaged, orphan and partial files, deletes nothing, and --fix only quarantines', () => {
  const store = openStore(tempDir('vt-doc-'));
  const pid = getOrCreateProject(store.db).id;
  const [a, b, c] = [1, 2, 3].map((s) => saveRecording(store, pid, { samples: clip(s), transcript: { text: `t${s}`, source: 'typed' } }));
  assert.ok(isHealthy(doctor(store)));
  fs.rmSync(path.join(store.dataDir, a.file));
  const damaged = path.join(store.dataDir, b.file);
  const bytes = fs.readFileSync(damaged);
  bytes[100] ^= 0xff;
  fs.writeFileSync(damaged, bytes);
  fs.writeFileSync(path.join(store.dataDir, 'audio', c.file.split('/')[1], 'stray.wav'), 'x');
  fs.mkdirSync(store.layout.tmp, { recursive: true });
  fs.writeFileSync(path.join(store.layout.tmp, 'abc.partial'), 'half');

  const r = doctor(store);
  assert.deepEqual(r.missing, [{ id: a.id, file: a.file }]);
  assert.deepEqual(r.mismatched.map((m) => m.id), [b.id]);
  assert.deepEqual(r.orphans, [`audio/${c.file.split('/')[1]}/stray.wav`]);
  assert.deepEqual(r.partials, ['.tmp/abc.partial']);
  assert.equal(isHealthy(r), false);
  assert.throws(() => readRecordingSamples(store, b), (e: Error & { code?: string }) => e.code === 'AUDIO_CHECKSUM_MISMATCH');
  assert.throws(() => readRecordingSamples(store, a), (e: Error & { code?: string }) => e.code === 'AUDIO_MISSING');

  // Fresh files are left alone by --fix (a save may be in flight), old ones are quarantined.
  assert.deepEqual(doctor(store, { fix: true }).fixed, { quarantined: [], removedPartials: [] });
  const later = doctor(store, { fix: true, now: Date.now() + 3_600_000 });
  assert.equal(later.fixed.quarantined.length, 1);
  assert.ok(fs.existsSync(path.join(store.dataDir, later.fixed.quarantined[0].to)), 'the orphan is moved, not deleted');
  assert.deepEqual(later.fixed.removedPartials, ['.tmp/abc.partial']);
  assert.ok(fs.existsSync(damaged), 'a damaged clip is never removed');
  assert.equal((store.db.prepare('SELECT count(*) AS n FROM recordings').get() as { n: number }).n, 3, 'no row is removed');
  closeStore(store);

  // The CLI exits 1 on problems and prints each one.
  const cli = spawnSync(process.execPath, ['bin/vocab-tuner.mjs', 'data', 'doctor', '--data-dir', store.dataDir], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(cli.status, 1, cli.stderr);
  assert.match(cli.stdout, /MISSING {3}clip \d+/);
  assert.match(cli.stdout, /DAMAGED {3}clip \d+/);
  assert.match(cli.stdout, /nothing was deleted/);
});

test('a saved clip reads back as the same 16 kHz samples (to PCM16 precision)', () => {
  const store = openStore(tempDir('vt-doc-'));
  const pid = getOrCreateProject(store.db).id;
  const x = clip(7);
  const rec = saveRecording(store, pid, { samples: x });
  assert.equal(rec.sampleRate, 16000);
  assert.equal(rec.durationS, 0.05);
  const y = readRecordingSamples(store, rec);
  assert.equal(y.length, x.length);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) < 1 / 16000);
  assert.throws(() => saveRecording(store, pid, { samples: x }), (e: Error & { code?: string }) => e.code === 'RECORDING_DUPLICATE');
  assert.throws(() => saveRecording(store, pid, { samples: new Float32Array(16000 * 31) }), (e: Error & { code?: string }) => e.code === 'AUDIO_TOO_LONG');
  closeStore(store);
});
