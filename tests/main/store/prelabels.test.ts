import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { getOrCreateProject } from '../../../src-main/store/projects.ts';
import { deleteRecording, saveRecording } from '../../../src-main/store/recordings.ts';
import { getTranscript, setTranscript, storePrelabels } from '../../../src-main/store/transcripts.ts';
import { closeStore, openStore } from '../../../src-main/store/store.ts';
import { tempDir } from '../../helpers/store-fixtures.ts';

const tone = (seed: number) => Float32Array.from({ length: 8000 }, (_, i) => 0.2 * Math.sin(i * (0.01 + seed * 0.001)));

test('pre-labels fill empty and machine transcripts, keep typed ones unless asked, skip deleted clips', (t) => {
  const dir = tempDir('vt-prelabel-');
  const store = openStore(dir);
  t.after(() => {
    closeStore(store);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const pid = getOrCreateProject(store.db).id;
  const empty = saveRecording(store, pid, { samples: tone(1) }).id;
  const typed = saveRecording(store, pid, { samples: tone(2), transcript: { text: 'I typed this', source: 'typed' } }).id;
  const machine = saveRecording(store, pid, { samples: tone(3) }).id;
  setTranscript(store.db, machine, 'an earlier guess', 'base_model');
  const gone = saveRecording(store, pid, { samples: tone(4) }).id;
  deleteRecording(store, gone);

  const labels = [empty, typed, machine, gone].map((id) => ({ id, text: `heard ${id}` }));
  assert.equal(storePrelabels(store.db, labels, { overwriteTyped: false }), 2);
  assert.equal(getTranscript(store.db, empty)?.text, `heard ${empty}`);
  assert.equal(getTranscript(store.db, empty)?.source, 'base_model');
  assert.equal(getTranscript(store.db, typed)?.text, 'I typed this', 'what a person typed is kept');
  assert.equal(getTranscript(store.db, machine)?.text, `heard ${machine}`);
  assert.equal(getTranscript(store.db, gone), undefined);
  // Asked for explicitly (clips selected and transcribed again): typed text is replaced too.
  assert.equal(storePrelabels(store.db, [{ id: typed, text: 'the model heard this' }], { overwriteTyped: true }), 1);
  assert.equal(getTranscript(store.db, typed)?.text, 'the model heard this');
});
