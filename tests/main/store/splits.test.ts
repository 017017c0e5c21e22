import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../../../src-main/store/db.ts';
import { createRun } from '../../../src-main/store/runs.ts';
import { assignSplits, setSplit, splitCounts } from '../../../src-main/store/splits.ts';
import { addTerm } from '../../../src-main/store/terms.ts';

/** Rows only (no audio files): splits never read audio. */
function fakeClips(db: Db, pid: number, texts: string[]): number[] {
  const ins = db.prepare(
    "INSERT INTO recordings (project_id, file, sha256, duration_s, sample_rate, n_samples, source, created_at) VALUES (?, 'audio/x.wav', ?, 1, 16000, 16000, 'recorded', ?)",
  );
  const insT = db.prepare("INSERT INTO transcripts (recording_id, text, source, updated_at) VALUES (?, ?, 'typed', 'x')");
  return texts.map((t, i) => {
    const id = Number(ins.run(pid, (t + i).padEnd(64, '0').slice(0, 64), new Date(Date.now() + i).toISOString()).lastInsertRowid);
    insT.run(id, t);
    return id;
  });
}

function setup(): { db: Db; pid: number } {
  const db = openDb(':memory:');
  db.prepare("INSERT INTO projects (name, created_at) VALUES ('p', 'x')").run();
  return { db, pid: 1 };
}

function splitOf(db: Db): Map<number, string> {
  return new Map((db.prepare('SELECT recording_id AS id, split FROM splits').all() as { id: number; split: string }[]).map((r) => [r.id, r.split]));
}

test('stratified by term: every term with enough clips gets test and validation clips, non-term clips feed the general set', () => {
  const { db, pid } = setup();
  addTerm(db, pid, { text: 'CUDA' });
  addTerm(db, pid, { text: 'PyTorch' });
  fakeClips(db, pid, Array.from({ length: 10 }, (_, i) => `CUDA clip ${i}`));
  fakeClips(db, pid, Array.from({ length: 5 }, (_, i) => `I like PyTorch ${i}`));
  fakeClips(db, pid, Array.from({ length: 6 }, (_, i) => `the weather today ${i}, cuda lowercase is not the term`));
  const c = assignSplits(db, pid);
  assert.deepEqual(c, { train: 13, validation: 2, test: 3, general: 3, unassigned: 0 });
  const s = splitOf(db);
  const per = (from: number, to: number) => [...Array(to - from + 1)].map((_, i) => s.get(from + i));
  assert.deepEqual(['test', 'validation'].map((x) => per(1, 10).filter((y) => y === x).length), [2, 1]);
  assert.deepEqual(['test', 'validation'].map((x) => per(11, 15).filter((y) => y === x).length), [1, 1]);
  assert.equal(per(16, 21).filter((y) => y === 'general').length, 3);
});

test('assignment is deterministic for a seed and sticky across new clips', () => {
  const a = setup();
  const b = setup();
  for (const x of [a, b]) {
    addTerm(x.db, x.pid, { text: 'CUDA' });
    fakeClips(x.db, x.pid, Array.from({ length: 12 }, (_, i) => `CUDA ${i}`));
    assignSplits(x.db, x.pid, { seed: 7 });
  }
  assert.deepEqual(splitOf(a.db), splitOf(b.db));
  const before = splitOf(a.db);
  fakeClips(a.db, a.pid, Array.from({ length: 8 }, (_, i) => `more CUDA ${i}`));
  assignSplits(a.db, a.pid, { seed: 7 });
  const after = splitOf(a.db);
  for (const [id, sp] of before) assert.equal(after.get(id), sp, `clip ${id} moved`);
  assert.equal(splitCounts(a.db, a.pid).test, 4); // 20 % of 20, topped up from the new clips
  assert.deepEqual(assignSplits(a.db, a.pid, { seed: 7 }), { train: 0, validation: 0, test: 0, general: 0, unassigned: 0 });
});

test('held-out clips are never trained on: they cannot move, and a trained-on clip cannot become held-out', () => {
  const { db, pid } = setup();
  addTerm(db, pid, { text: 'CUDA' });
  fakeClips(db, pid, Array.from({ length: 5 }, (_, i) => `CUDA ${i}`));
  assignSplits(db, pid);
  const s = splitOf(db);
  const test1 = [...s].find(([, v]) => v === 'test')![0];
  const train = [...s].filter(([, v]) => v === 'train').map(([k]) => k);
  assert.throws(() => setSplit(db, test1, 'train'), (e: Error & { code?: string }) => e.code === 'SPLIT_HELD_OUT');
  setSplit(db, train[0], 'validation'); // no run yet: allowed
  createRun(db, pid, { lr: 1e-4 });
  assert.throws(() => setSplit(db, train[1], 'test'), (e: Error & { code?: string }) => e.code === 'SPLIT_TRAINED_ON');
  assert.equal(splitOf(db).get(train[1]), 'train');
});
