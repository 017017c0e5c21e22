import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { importFolder } from '../../../src-main/store/import.ts';
import { getOrCreateProject } from '../../../src-main/store/projects.ts';
import { listRecordings, readRecordingBytes, saveRecording } from '../../../src-main/store/recordings.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { snapshot, tempDir, toneWav } from '../../helpers/store-fixtures.ts';

function setup(): { store: Store; pid: number; src: string } {
  const store = openStore(tempDir('vt-store-'));
  return { store, pid: getOrCreateProject(store.db).id, src: tempDir('vt-src-') };
}

function write(dir: string, rel: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), data);
}

test('metadata.csv at 44.1 kHz stereo imports as 16 kHz mono PCM16 with transcripts and splits', async () => {
  const { store, pid, src } = setup();
  write(src, 'a.wav', toneWav({ seconds: 0.5, rate: 44100, channels: 2, seed: 1 }));
  write(src, 'sub/b.wav', toneWav({ seconds: 0.25, rate: 8000, seed: 2 }));
  write(src, 'metadata.csv', 'file_name,transcription,split\r\na.wav,"I use PyTorch, daily.",train\nsub/b.wav,"She said ""CUDA""",test\n');
  const r = await importFolder(store, pid, src);
  assert.equal(r.imported.length, 2);
  const recs = listRecordings(store.db, pid);
  assert.deepEqual(recs.map((x) => [x.transcript, x.split, x.sourceName]), [
    ['I use PyTorch, daily.', 'train', 'a.wav'],
    ['She said "CUDA"', 'test', path.join('sub', 'b.wav')],
  ]);
  const wav = decodeWav(readRecordingBytes(store, recs[0]));
  assert.equal(wav.sampleRate, 16000);
  assert.equal(wav.channels.length, 1);
  assert.ok(Math.abs(wav.channels[0].length - 8000) <= 2, `0.5 s at 16 kHz, got ${wav.channels[0].length}`);
  assert.equal(recs[0].durationS, wav.channels[0].length / 16000);
});

test('metadata.jsonl and same-name .txt layouts import too', async () => {
  const a = setup();
  write(a.src, 'x.wav', toneWav({ seconds: 0.2, seed: 3 }));
  write(a.src, 'metadata.jsonl', '{"file_name": "x.wav", "transcription": "kubectl apply"}\n\n');
  assert.equal((await importFolder(a.store, a.pid, a.src)).imported.length, 1);
  const b = setup();
  write(b.src, 'd/y.wav', toneWav({ seconds: 0.2, seed: 4 }));
  write(b.src, 'd/y.txt', 'Line one\nline two\n');
  await importFolder(b.store, b.pid, b.src);
  assert.equal(listRecordings(b.store.db, b.pid)[0].transcript, 'Line one line two');
});

/** Each case: an error with this code, and the store exactly as before. */
async function rejects(s: ReturnType<typeof setup>, code: string, msg: RegExp, opts = {}): Promise<void> {
  const before = snapshot(s.store);
  await assert.rejects(importFolder(s.store, s.pid, s.src, opts), (e: Error & { code?: string }) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message, msg);
    return true;
  });
  assert.deepEqual(snapshot(s.store), before);
}

/** A store that already holds one clip, so "unchanged" is not trivially an empty store. */
function seeded(): ReturnType<typeof setup> {
  const s = setup();
  saveRecording(s.store, s.pid, { samples: new Float32Array(1600).fill(0.1), transcript: { text: 'seed', source: 'typed' } });
  return s;
}

test('malformed: a text file renamed .wav', async () => {
  const s = seeded();
  write(s.src, 'ok.wav', toneWav({ seconds: 0.2, seed: 5 }));
  write(s.src, 'notes.wav', 'just some text, not audio at all\n'.repeat(10));
  write(s.src, 'metadata.csv', 'file_name,transcription\nok.wav,fine\nnotes.wav,broken\n');
  await rejects(s, 'AUDIO_FORMAT_UNSUPPORTED', /notes\.wav/);
});

test('malformed: a WAV whose header sizes lie', async () => {
  const s = seeded();
  const w = toneWav({ seconds: 0.2, seed: 6 });
  new DataView(w.buffer).setUint32(40, 10_000_000, true); // data chunk claims 10 MB
  write(s.src, 'lie.wav', w);
  write(s.src, 'lie.txt', 'hello');
  await rejects(s, 'AUDIO_DECODE_FAILED', /lie\.wav.*truncated/);
});

test('malformed: 0-length audio', async () => {
  const s = seeded();
  write(s.src, 'empty.wav', toneWav({ seconds: 0 }));
  write(s.src, 'empty.txt', 'nothing');
  await rejects(s, 'AUDIO_DECODE_FAILED', /empty\.wav.*no audio samples/);
  assert.throws(() => saveRecording(s.store, s.pid, { samples: new Float32Array(0) }), (e: Error & { code?: string }) => e.code === 'AUDIO_EMPTY');
});

test('malformed: audio over 30 s is rejected (not split)', async () => {
  const s = seeded();
  write(s.src, 'long.wav', toneWav({ seconds: 31, rate: 8000, seed: 7 }));
  write(s.src, 'long.txt', 'a long talk');
  await rejects(s, 'AUDIO_TOO_LONG', /long\.wav.*31\.0 s.*at most 30 s.*rejected, not split/);
});

test('malformed: a 10 MB transcript (.txt and metadata cell)', async () => {
  const s = seeded();
  write(s.src, 'a.wav', toneWav({ seconds: 0.2, seed: 8 }));
  write(s.src, 'a.txt', 'word '.repeat(2_000_000));
  await rejects(s, 'TRANSCRIPT_TOO_LONG', /a\.txt.*10\.0 MB/);
  fs.rmSync(path.join(s.src, 'a.txt'));
  write(s.src, 'metadata.csv', `file_name,transcription\na.wav,${'x'.repeat(10_000_000)}\n`);
  await rejects(s, 'TRANSCRIPT_TOO_LONG', /10,000,000 characters/);
});

test('malformed: path traversal and absolute paths in metadata', async () => {
  const s = seeded();
  write(s.src, 'ok.wav', toneWav({ seconds: 0.2, seed: 9 }));
  for (const bad of ['../../x.wav', '/etc/passwd', 'C:\\Windows\\x.wav', 'sub/../../x.wav']) {
    write(s.src, 'metadata.csv', `file_name,transcription\nok.wav,fine\n${bad},evil\n`);
    await rejects(s, 'IMPORT_UNSAFE_PATH', /must be relative paths inside the imported folder/);
  }
  const outside = tempDir('vt-outside-');
  write(outside, 'secret.wav', toneWav({ seconds: 0.2, seed: 10 }));
  fs.symlinkSync(path.join(outside, 'secret.wav'), path.join(s.src, 'link.wav'));
  write(s.src, 'metadata.csv', 'file_name,transcription\nlink.wav,sneaky\n');
  await rejects(s, 'IMPORT_UNSAFE_PATH', /link to a file outside/);
});

test('malformed: a duplicate import (again, and within one folder); --skip-duplicates imports the rest', async () => {
  const s = setup();
  write(s.src, 'a.wav', toneWav({ seconds: 0.2, seed: 11 }));
  write(s.src, 'a.txt', 'first');
  await importFolder(s.store, s.pid, s.src);
  await rejects(s, 'IMPORT_DUPLICATE', /a\.wav is the same audio as clip \d+ already stored/);
  write(s.src, 'b.wav', toneWav({ seconds: 0.2, seed: 12 }));
  write(s.src, 'b.txt', 'second');
  write(s.src, 'c.wav', toneWav({ seconds: 0.2, seed: 12 }));
  write(s.src, 'c.txt', 'copy of second');
  await rejects(s, 'IMPORT_DUPLICATE', /duplicate|same audio/);
  const r = await importFolder(s.store, s.pid, s.src, { skipDuplicates: true });
  assert.equal(r.imported.length, 1);
  assert.deepEqual(r.skipped.map((x) => x.name), ['a.wav', 'c.wav']);
});

test('malformed metadata: missing column, ragged rows, unknown split, missing file, no transcripts', async () => {
  const s = seeded();
  write(s.src, 'a.wav', toneWav({ seconds: 0.2, seed: 13 }));
  const cases: [string, RegExp][] = [
    ['name,transcription\na.wav,x\n', /file_name column/],
    ['file_name,transcription\na.wav\n', /1 cells but the header has 2/],
    ['file_name,transcription,split\na.wav,x,holdout\n', /split "holdout"/],
    ['file_name,transcription\nzzz.wav,x\n', /zzz\.wav does not exist/],
    ['file_name,transcription\na.wav,"unclosed\n', /never closed/],
  ];
  for (const [csv, msg] of cases) {
    write(s.src, 'metadata.csv', csv);
    await rejects(s, 'IMPORT_METADATA_INVALID', msg);
  }
  fs.rmSync(path.join(s.src, 'metadata.csv'));
  await rejects(s, 'IMPORT_METADATA_INVALID', /have no transcript: a\.wav/);
});

test('if the database insert fails after files were written, those files are removed again', async () => {
  const s = seeded();
  write(s.src, 'a.wav', toneWav({ seconds: 0.2, seed: 14 }));
  write(s.src, 'a.txt', 'hello');
  const before = snapshot(s.store);
  // Project 9999 does not exist: every check passes, the file is written, the insert hits the
  // foreign key and the transaction rolls back.
  await assert.rejects(importFolder(s.store, 9999, s.src), /FOREIGN KEY/);
  assert.deepEqual(snapshot(s.store), before);
});
