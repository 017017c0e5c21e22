/**
 * Import folders a careless user or an attacker could hand us (issue 11, problems 7–9): FIFOs and
 * /dev/zero behind links, symlinks in and out of the folder (one policy for audio, transcripts and
 * metadata), invalid UTF-8 and invisible control / bidi characters in transcripts and names, and
 * lying audio headers. Each must fail the whole import quickly with its own code and leave the
 * store exactly as before — or, for links that stay inside the folder, import normally.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { importFolder } from '../../../src-main/store/import.ts';
import { getOrCreateProject } from '../../../src-main/store/projects.ts';
import { listRecordings } from '../../../src-main/store/recordings.ts';
import { setTranscript } from '../../../src-main/store/transcripts.ts';
import { addTerm } from '../../../src-main/store/terms.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { snapshot, tempDir, toneWav } from '../../helpers/store-fixtures.ts';
import { wavWithHeader } from '../../helpers/hostile-audio.ts';

const posix = process.platform !== 'win32';

function setup(): { store: Store; pid: number; src: string } {
  const store = openStore(tempDir('vt-store-'));
  return { store, pid: getOrCreateProject(store.db).id, src: tempDir('vt-src-') };
}

function write(dir: string, rel: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), data);
}

/** An error with this code within 5 s (a FIFO used to hang forever), and the store unchanged. */
async function rejects(s: ReturnType<typeof setup>, code: string, msg: RegExp): Promise<void> {
  const before = snapshot(s.store);
  const t = Date.now();
  await assert.rejects(importFolder(s.store, s.pid, s.src), (e: Error & { code?: string }) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message, msg);
    return true;
  });
  assert.ok(Date.now() - t < 5000, `took ${Date.now() - t} ms`);
  assert.deepEqual(snapshot(s.store), before, 'a failed import changes nothing');
}

test('a FIFO as audio, as a .txt transcript or as metadata.csv is refused, not waited on', { skip: !posix && 'POSIX only' }, async () => {
  const a = setup();
  execFileSync('mkfifo', [path.join(a.src, 'pipe.wav')]);
  write(a.src, 'metadata.csv', 'file_name,transcription\npipe.wav,hello\n');
  await rejects(a, 'NOT_A_REGULAR_FILE', /named pipe \(FIFO\)/);

  const b = setup();
  write(b.src, 'x.wav', toneWav({ seconds: 0.2, seed: 1 }));
  execFileSync('mkfifo', [path.join(b.src, 'x.txt')]);
  await rejects(b, 'NOT_A_REGULAR_FILE', /x\.txt is a named pipe/);

  const c = setup();
  write(c.src, 'x.wav', toneWav({ seconds: 0.2, seed: 1 }));
  execFileSync('mkfifo', [path.join(c.src, 'metadata.csv')]);
  await rejects(c, 'NOT_A_REGULAR_FILE', /metadata\.csv is a named pipe/);
});

test('/dev/zero behind a link is refused (outside the folder), never read', { skip: (!posix || !fs.existsSync('/dev/zero')) && 'needs /dev/zero' }, async () => {
  const a = setup();
  write(a.src, 'x.wav', toneWav({ seconds: 0.2, seed: 1 }));
  fs.symlinkSync('/dev/zero', path.join(a.src, 'x.txt'));
  await rejects(a, 'IMPORT_UNSAFE_PATH', /x\.txt is a link to a file outside the imported folder/);
  const b = setup();
  fs.symlinkSync('/dev/zero', path.join(b.src, 'zero.wav'));
  write(b.src, 'metadata.csv', 'file_name,transcription\nzero.wav,hello\n');
  await rejects(b, 'IMPORT_UNSAFE_PATH', /link to a file outside/);
});

test('one symlink policy: links inside the folder are followed, links out are refused — audio and transcripts alike', { skip: !posix && 'POSIX only' }, async () => {
  const outside = tempDir('vt-outside-');
  write(outside, 'secret.txt', 'the secret transcript');
  write(outside, 'far.wav', toneWav({ seconds: 0.2, seed: 5 }));

  // A .txt transcript linking out of the folder was followed and stored before.
  const a = setup();
  write(a.src, 'x.wav', toneWav({ seconds: 0.2, seed: 1 }));
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(a.src, 'x.txt'));
  await rejects(a, 'IMPORT_UNSAFE_PATH', /x\.txt is a link to a file outside/);

  // A linked audio file without metadata was silently dropped before.
  const b = setup();
  fs.symlinkSync(path.join(outside, 'far.wav'), path.join(b.src, 'far.wav'));
  write(b.src, 'far.txt', 'far away');
  await rejects(b, 'IMPORT_UNSAFE_PATH', /far\.wav is a link to a file outside/);

  // Links that stay inside — a file and a folder — are followed and imported.
  const c = setup();
  write(c.src, 'real/one.wav', toneWav({ seconds: 0.2, seed: 7 }));
  write(c.src, 'real/one.txt', 'one');
  fs.symlinkSync(path.join(c.src, 'real', 'one.wav'), path.join(c.src, 'two.wav'));
  write(c.src, 'two.txt', 'two');
  write(c.src, 'store/three.wav', toneWav({ seconds: 0.2, seed: 8 }));
  write(c.src, 'store/three.txt', 'three');
  fs.symlinkSync(path.join(c.src, 'store'), path.join(c.src, 'linked-folder'));
  const r = await importFolder(c.store, c.pid, c.src, { skipDuplicates: true });
  const texts = listRecordings(c.store.db, c.pid).map((x) => x.transcript).sort();
  // two.wav is the same audio as real/one.wav, and linked-folder/three the same as store/three.
  assert.deepEqual(texts, ['one', 'three']);
  assert.equal(r.skipped.length, 2);
});

test('invalid UTF-8 in a .txt transcript or metadata is an error, not U+FFFD', async () => {
  const a = setup();
  write(a.src, 'x.wav', toneWav({ seconds: 0.2, seed: 1 }));
  write(a.src, 'x.txt', new Uint8Array([0x49, 0x20, 0x75, 0x73, 0x65, 0x20, 0xff, 0xfe, 0x21]));
  await rejects(a, 'TRANSCRIPT_INVALID', /not valid UTF-8/);
  const b = setup();
  write(b.src, 'x.wav', toneWav({ seconds: 0.2, seed: 1 }));
  write(b.src, 'metadata.csv', Buffer.concat([Buffer.from('file_name,transcription\nx.wav,caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  await rejects(b, 'IMPORT_METADATA_INVALID', /not valid UTF-8 \(first bad byte on line 2\)/);
});

test('NUL, control and bidi-override characters are refused in transcripts, file names and terms', async () => {
  for (const [bad, what] of [['hello\u0000world', /NUL character \(U\+0000\)/], ['PyTorch \u202Ehcrot', /bidirectional override \(U\+202E\)/], ['bell\u0007', /control character \(U\+0007\)/], ['c1\u009b31m', /C1 control character/]] as const) {
    const a = setup();
    write(a.src, 'x.wav', toneWav({ seconds: 0.2, seed: 1 }));
    write(a.src, 'metadata.jsonl', JSON.stringify({ file_name: 'x.wav', transcription: bad }) + '\n');
    await rejects(a, 'TRANSCRIPT_INVALID', what);
  }
  if (posix) {
    const n = setup();
    write(n.src, 'evil\u202Evaw.txt.wav', toneWav({ seconds: 0.2, seed: 1 }));
    write(n.src, 'evil\u202Evaw.txt.txt', 'fine text');
    await rejects(n, 'IMPORT_UNSAFE_PATH', /file name .* bidirectional override/);
  }
  // Tabs and line breaks are ordinary whitespace: folded to spaces.
  const ok = setup();
  write(ok.src, 'x.wav', toneWav({ seconds: 0.2, seed: 1 }));
  write(ok.src, 'x.txt', 'tab\there\r\nand a line');
  await importFolder(ok.store, ok.pid, ok.src);
  const rec = listRecordings(ok.store.db, ok.pid)[0];
  assert.equal(rec.transcript, 'tab here and a line');
  // Editing a stored transcript, and terms, follow the same rule.
  assert.throws(() => setTranscript(ok.store.db, rec.id, 'x\u0000y', 'typed'), (e: any) => e.code === 'TRANSCRIPT_INVALID');
  assert.throws(() => addTerm(ok.store.db, ok.pid, { text: 'Py\u2066Torch' }), (e: any) => e.code === 'TERM_INVALID');
  assert.throws(() => addTerm(ok.store.db, ok.pid, { text: 'PyTorch', soundsLike: ['pie\u0000torch'] }), (e: any) => e.code === 'TERM_INVALID');
});

test('a lying WAV header in an import folder is refused from the header', async () => {
  const a = setup();
  write(a.src, 'slow.wav', wavWithHeader({ sampleRate: 1, dataBytes: 2000 }));
  write(a.src, 'slow.txt', 'one hertz');
  const t = Date.now();
  await rejects(a, 'AUDIO_RATE_UNSUPPORTED', /1 Hz/);
  assert.ok(Date.now() - t < 2000);
  const b = setup();
  write(b.src, 'long.wav', wavWithHeader({ sampleRate: 8000, dataBytes: 8000 * 2 * 31 }));
  write(b.src, 'long.txt', 'too long');
  await rejects(b, 'AUDIO_TOO_LONG', /31\.0 s long/);
});
