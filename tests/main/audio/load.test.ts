import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeAudioBytes, loadAudio, sniffFormat } from '../../../src-main/audio/load.ts';
import { findExecutable } from '../../../src-main/audio/external-decoder.ts';
import { encodeWavPcm16, decodeWav } from '../../../src-main/audio/wav.ts';
import { UserError } from '../../../src-main/util/errors.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const refAudio = path.resolve(repoRoot, '../shared/reference/audio');
const noRef = !existsSync(refAudio) && 'needs ../shared/reference (not in a fresh clone)';
const noSox = !findExecutable('sox') && 'needs sox on PATH';

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

/** Stereo float WAV at `rate` with a 440 Hz tone on the left and silence on the right. */
function stereoFloatWav(rate: number, seconds: number): Uint8Array {
  const n = Math.round(rate * seconds);
  const out = new Uint8Array(44 + n * 8);
  const v = new DataView(out.buffer);
  const put = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  put(0, 'RIFF');
  v.setUint32(4, 36 + n * 8, true);
  put(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 3, true);
  v.setUint16(22, 2, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 8, true);
  v.setUint16(32, 8, true);
  v.setUint16(34, 32, true);
  put(36, 'data');
  v.setUint32(40, n * 8, true);
  for (let i = 0; i < n; i++) v.setFloat32(44 + 8 * i, 0.8 * Math.sin((2 * Math.PI * 440 * i) / rate), true);
  return out;
}

test('sniffFormat recognises containers by their magic bytes', () => {
  const b = (s: string, extra: number[] = []) => Uint8Array.from([...[...s].map((c) => c.charCodeAt(0)), ...extra]);
  assert.equal(sniffFormat(encodeWavPcm16(new Float32Array(4), 16000)), 'wav');
  assert.equal(sniffFormat(b('fLaC\0\0\0\x22')), 'flac');
  assert.equal(sniffFormat(b('OggS\0\x02')), 'ogg');
  assert.equal(sniffFormat(b('OggS'.padEnd(28, '\0') + 'OpusHead')), 'opus');
  assert.equal(sniffFormat(b('\0\0\0\x20ftypM4A ')), 'm4a');
  assert.equal(sniffFormat(Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 1])), 'webm');
  assert.equal(sniffFormat(Uint8Array.from([0xff, 0xfb, 0x90, 0x64])), 'mp3');
  assert.equal(sniffFormat(Uint8Array.from([0xff, 0xf1, 0x50, 0x80])), 'aac');
  assert.equal(sniffFormat(b('ID3\x04\0\0\0\0\0\0' + 'fLaC')), 'flac');
  assert.equal(sniffFormat(b('ID3\x04\0\0\0\0\0\x02xx', [0xff, 0xfb])), 'mp3');
  assert.equal(sniffFormat(b('FORM\0\0\0\0AIFF')), 'aiff');
  assert.equal(sniffFormat(b('hello world')), 'unknown');
});

test('a 44.1 kHz stereo float WAV becomes 16 kHz mono (channels averaged)', async () => {
  const x = await decodeAudioBytes(stereoFloatWav(44100, 0.5), 'stereo.wav');
  assert.equal(x.length, 8000);
  let peak = 0;
  for (let i = 1000; i < 7000; i++) peak = Math.max(peak, Math.abs(x[i]));
  assert.ok(Math.abs(peak - 0.4) < 0.005, `peak ${peak} (0.8 averaged with silence)`);
});

test('loadAudio reads a 16 kHz WAV sample-exactly and names missing files', { skip: noRef }, async () => {
  const x = await loadAudio(path.join(refAudio, 'jfk-16k.wav'));
  const direct = decodeWav(readFileSync(path.join(refAudio, 'jfk-16k.wav'))).channels[0];
  assert.deepEqual(x, direct);
  await rejects(loadAudio(path.join(refAudio, 'nope.wav')), 'AUDIO_NOT_FOUND', /no such audio file/);
  await rejects(loadAudio(refAudio), 'AUDIO_NOT_FOUND', /is a folder/);
});

test('the 44.1 kHz stereo FLAC decodes (in-process) to the same samples as the reference 16 kHz WAV', { skip: noRef }, async () => {
  const saved = process.env.PATH;
  process.env.PATH = ''; // prove no external tool is involved
  let b: Float32Array;
  try {
    b = await loadAudio(path.join(refAudio, 'jfk.flac'));
  } finally {
    process.env.PATH = saved;
  }
  const a = await loadAudio(path.join(refAudio, 'jfk-16k.wav'));
  assert.equal(b.length, a.length);
  let err = 0;
  let energy = 0;
  for (let i = 0; i < a.length; i++) {
    err += (a[i] - b[i]) ** 2;
    energy += a[i] ** 2;
  }
  const rel = Math.sqrt(err / energy);
  console.log(`flac vs reference wav: relative rms difference ${rel.toExponential(2)}`);
  assert.ok(rel < 0.01, `relative difference ${rel}`);
});

test('unrecognised, empty and undecodable files fail with clear codes', async () => {
  await rejects(decodeAudioBytes(new TextEncoder().encode('just some text'), 'notes.wav'), 'AUDIO_FORMAT_UNSUPPORTED', /notes\.wav: it is not a recognised audio file/);
  await rejects(decodeAudioBytes(new Uint8Array(0), 'empty.wav'), 'AUDIO_FORMAT_UNSUPPORTED', /empty/);
  // A damaged WAV is a decode failure, not a format problem.
  const wav = encodeWavPcm16(new Float32Array(10), 16000).subarray(0, 30);
  await rejects(decodeAudioBytes(wav, 'cut.wav'), 'AUDIO_DECODE_FAILED', /cut\.wav: .*truncated/);
});

test('damaged compressed audio without sox or ffmpeg fails in the in-process decoder with a clear message', async () => {
  const saved = process.env.PATH;
  process.env.PATH = '';
  try {
    await rejects(decodeAudioBytes(new TextEncoder().encode('OggS\0\x02 vorbis'), 'a.ogg'), 'AUDIO_DECODE_FAILED', /a\.ogg: the Ogg Vorbis file holds no audio.*Re-export it/);
    await rejects(decodeAudioBytes(new TextEncoder().encode('\0\0\0\x20ftypM4A '), 'voice.m4a'), 'AUDIO_DECODE_FAILED', /voice\.m4a: the M4A\/AAC file holds no audio/);
  } finally {
    process.env.PATH = saved;
  }
});

test('MP3, Ogg Vorbis and AIFF made by sox load as 16 kHz mono', { skip: noSox }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-load-'));
  try {
    for (const ext of ['mp3', 'ogg', 'aiff']) {
      const file = path.join(dir, `tone.${ext}`);
      try {
        execFileSync('sox', ['-V1', '-n', '-r', '44100', '-c', '2', file, 'synth', '0.5', 'sine', '440', 'vol', '0.5']);
      } catch {
        console.log(`this sox cannot write ${ext}; skipping that format`);
        continue;
      }
      const x = await loadAudio(file);
      // MP3 encoders add priming/padding, so only roughly 0.5 s.
      assert.ok(Math.abs(x.length - 8000) < 2000, `${ext}: ${x.length} samples`);
      let peak = 0;
      for (let i = x.length >> 2; i < (3 * x.length) >> 2; i++) peak = Math.max(peak, Math.abs(x[i]));
      assert.ok(Math.abs(peak - 0.5) < 0.05, `${ext}: peak ${peak}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged compressed file reports the decoder tool failure', { skip: noSox }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-load-'));
  try {
    const bad = path.join(dir, 'broken.ogg');
    writeFileSync(bad, new TextEncoder().encode('OggS\0\x02 and then nothing sensible'));
    await rejects(loadAudio(bad), 'AUDIO_DECODE_FAILED', /broken\.ogg: sox could not decode this OGG file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
