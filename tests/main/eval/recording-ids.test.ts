/**
 * A comparison report names each clip's recording by id (the UI plays it from that), not by a file
 * name the UI would have to parse: the app's training export writes `recording_id`, the eval set
 * reads it, and every scored clip carries it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { exportTrainingDataset } from '../../../src-main/store/export.ts';
import { readEvalSet } from '../../../src-main/eval/eval-set.ts';
import { scoreClip } from '../../../src-main/eval/grid.ts';
import { getOrCreateProject } from '../../../src-main/store/projects.ts';
import { listRecordings, saveRecording } from '../../../src-main/store/recordings.ts';
import { closeStore, openStore } from '../../../src-main/store/store.ts';
import { tempDir } from '../../helpers/store-fixtures.ts';

function tone(seed: number): Float32Array {
  const x = new Float32Array(8000);
  for (let i = 0; i < x.length; i++) x[i] = 0.2 * Math.sin(i * (0.01 + seed * 0.001));
  return x;
}

test('held-out clips of an app export carry their recording ids into the scored report', (t) => {
  const dir = tempDir('vt-recid-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = openStore(path.join(dir, 'data'));
  try {
    const pid = getOrCreateProject(store.db).id;
    for (let i = 0; i < 12; i++) saveRecording(store, pid, { samples: tone(i + 1), transcript: { text: `sentence number ${i}`, source: 'typed' } });
    const out = path.join(dir, 'ds');
    exportTrainingDataset(store, pid, out);
    const byText = new Map(listRecordings(store.db, pid).map((r) => [r.transcript, r.id]));
    const set = readEvalSet(out);
    assert.ok(set.clips.length > 0, 'the export has held-out clips');
    for (const c of set.clips) {
      assert.equal(c.recordingId, byText.get(c.reference), `${c.id} points at the recording it was exported from`);
      const scored = scoreClip({ ...c, hypothesis: c.reference }, (s) => s);
      assert.equal(scored.recordingId, c.recordingId);
    }
  } finally {
    closeStore(store);
  }
});
