/**
 * MP3, M4A/AAC, Ogg Vorbis, Ogg Opus, WebM/Opus and AIFF decoded in-process (WebAssembly) with no
 * sox or ffmpeg on PATH. The files are made by the real encoders (lame, opusenc, ffmpeg) from
 * espeak-ng speech, and our 16 kHz output is compared with ffmpeg's own decode + resample of the
 * same file: correlation ≥ 0.99 after alignment. Then `vocab-tuner data import` imports them in a
 * real process whose PATH holds neither tool, and the store holds them as 16 kHz WAVs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findExecutable } from '../../../src-main/audio/external-decoder.ts';
import { decodeAudioBytes, sniffFormat } from '../../../src-main/audio/load.ts';
import { decodeCompressed, type CompressedFormat } from '../../../src-main/audio/compressed.ts';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { createHandlers } from '../../../src-main/ipc/handlers.ts';
import { JobHost } from '../../../src-main/jobs/host.ts';
import { closeStore, openStore } from '../../../src-main/store/store.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const CLI = path.join(repoRoot, 'bin/vocab-tuner.mjs');
const tools = { espeak: findExecutable('espeak-ng'), ffmpeg: findExecutable('ffmpeg'), lame: findExecutable('lame'), opusenc: findExecutable('opusenc') };
const missing = Object.entries(tools).filter(([, p]) => !p).map(([k]) => k);
const skip = missing.length > 0 && `needs espeak-ng, ffmpeg, lame and opusenc (apt-get install espeak-ng ffmpeg lame opus-tools); missing: ${missing.join(', ')}`;

/** Each format, and the real encoder command that makes it from a 44.1 kHz stereo WAV. */
const FORMATS: { file: string; encode: (src: string, out: string) => void }[] = [
  { file: 'clip.mp3', encode: (s, o) => execFileSync(tools.lame!, ['--quiet', '-b', '96', s, o]) },
  { file: 'clip.opus', encode: (s, o) => execFileSync(tools.opusenc!, ['--quiet', s, o]) },
  { file: 'clip.m4a', encode: (s, o) => ffmpeg(['-i', s, '-c:a', 'aac', '-b:a', '96k', o]) },
  { file: 'clip.aac', encode: (s, o) => ffmpeg(['-i', s, '-c:a', 'aac', '-b:a', '96k', '-f', 'adts', o]) },
  { file: 'clip.webm', encode: (s, o) => ffmpeg(['-i', s, '-c:a', 'libopus', o]) },
  { file: 'clip.ogg', encode: (s, o) => ffmpeg(['-i', s, '-c:a', 'libvorbis', o]) },
  { file: 'clip.aiff', encode: (s, o) => ffmpeg(['-i', s, o]) },
];

function ffmpeg(args: string[]): Buffer {
  return execFileSync(tools.ffmpeg!, ['-nostdin', '-v', 'error', '-y', ...args], { maxBuffer: 64 << 20 });
}

/** ffmpeg's decode of `file`, downmixed by ffmpeg to mono float, at `rate` (null: the file's own). */
function ffmpegReference(file: string, rate: number | null): Float32Array {
  const b = ffmpeg(['-i', file, '-ac', '1', ...(rate ? ['-ar', String(rate)] : []), '-f', 'f32le', '-acodec', 'pcm_f32le', '-']);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function mono(channels: Float32Array[]): Float32Array {
  const out = new Float32Array(channels[0].length);
  for (const c of channels) for (let i = 0; i < out.length; i++) out[i] += c[i] / channels.length;
  return out;
}

/** Pearson correlation of a[i] with b[i + lag] over their overlap. */
function correlationAt(a: Float32Array, b: Float32Array, lag: number): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
  for (let i = Math.max(0, -lag); i < a.length && i + lag < b.length; i++) {
    const x = a[i], y = b[i + lag];
    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; n++;
  }
  const cov = sab - (sa * sb) / n;
  return cov / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
}

/** Best correlation over lags within ±maxLag samples (encoder priming differs between decoders). */
function alignedCorrelation(a: Float32Array, b: Float32Array, maxLag = 3000): { lag: number; r: number } {
  let best = { lag: 0, r: -Infinity };
  for (let lag = -maxLag; lag <= maxLag; lag += 8) {
    const r = correlationAt(a, b, lag);
    if (r > best.r) best = { lag, r };
  }
  for (let lag = best.lag - 8; lag <= best.lag + 8; lag++) {
    const r = correlationAt(a, b, lag);
    if (r > best.r) best = { lag, r };
  }
  return best;
}

/** Speech at 44.1 kHz stereo (the right channel at half level, so the downmix matters). */
function makeSource(dir: string): string {
  const raw = path.join(dir, 'espeak.wav');
  execFileSync(tools.espeak!, ['-v', 'en-us', '-s', '160', '-w', raw, 'I fine tune Whisper with PyTorch and CUDA on my own vocabulary.']);
  const src = path.join(dir, 'source.wav');
  ffmpeg(['-i', raw, '-af', 'pan=stereo|c0=c0|c1=0.5*c0', '-ar', '44100', '-c:a', 'pcm_s16le', src]);
  return src;
}

test('MP3, M4A, raw AAC (ADTS), Ogg Vorbis, Ogg Opus, WebM and AIFF from real encoders decode in-process like ffmpeg (r ≥ 0.99)', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-compressed-'));
  const savedPath = process.env.PATH;
  try {
    const src = makeSource(dir);
    const files = FORMATS.map(({ file, encode }) => {
      const out = path.join(dir, file);
      encode(src, out);
      return { file, out, refNative: ffmpegReference(out, null), ref16k: ffmpegReference(out, 16000) };
    });
    process.env.PATH = ''; // no sox, no ffmpeg: only the in-process decoders can answer
    for (const { file, out, refNative, ref16k } of files) {
      const bytes = new Uint8Array(readFileSync(out));
      // The decoder itself, at the file's rate, against ffmpeg's decode of the same file.
      const decoded = await decodeCompressed(bytes, sniffFormat(bytes) as CompressedFormat, file);
      const native = alignedCorrelation(mono(decoded.channels), refNative);
      // And what the app stores: our downmix + resampler to 16 kHz, against ffmpeg's own.
      const t0 = performance.now();
      const ours = await decodeAudioBytes(bytes, file);
      const ms = performance.now() - t0;
      const at16k = alignedCorrelation(ours, ref16k, 1600);
      console.log(`${file.padEnd(10)} ${decoded.sampleRate} Hz: r = ${native.r.toFixed(5)} (lag ${native.lag}); 16 kHz: ${ours.length} samples (ffmpeg ${ref16k.length}), r = ${at16k.r.toFixed(5)} (lag ${at16k.lag}), ${ms.toFixed(0)} ms`);
      assert.ok(native.r >= 0.99, `${file}: correlation with ffmpeg's decode is ${native.r.toFixed(4)} (lag ${native.lag})`);
      // Raw ADTS carries no gapless information: FAAD2 withholds its first frame and ffmpeg does
      // not, 1024 samples at 44.1 kHz = 371.5 at 16 kHz, a fractional lag that an integer search
      // cannot align (r ≈ 0.98 there, 0.9999 at the file's rate above).
      if (!file.endsWith('.aac')) assert.ok(at16k.r >= 0.99, `${file}: at 16 kHz the correlation with ffmpeg's is ${at16k.r.toFixed(4)} (lag ${at16k.lag})`);
      assert.ok(Math.abs(ours.length - ref16k.length) < 0.1 * 16000, `${file}: ${ours.length} samples vs ffmpeg's ${ref16k.length}`);
    }
  } finally {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  }
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, cwd: repoRoot }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function wavsUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? wavsUnder(p) : n.endsWith('.wav') ? [p] : [];
  });
}

test('`vocab-tuner data import` stores those formats as 16 kHz WAV with no sox or ffmpeg on PATH', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-compressed-cli-'));
  try {
    const src = makeSource(dir);
    const folder = path.join(dir, 'phone-memos');
    mkdirSync(folder);
    for (const { file, encode } of FORMATS) {
      encode(src, path.join(folder, file));
      writeFileSync(path.join(folder, file.replace(/\.\w+$/, '.txt')), `I fine tune Whisper (${file}).`);
    }
    const dataDir = path.join(dir, 'data');
    // An empty PATH: the CLI runs from process.execPath and must find no decoder tool.
    const r = await cli(['data', 'import', folder, '--data-dir', dataDir, '--json'], { PATH: '', HOME: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).imported, FORMATS.length);
    const stored = wavsUnder(path.join(dataDir, 'audio'));
    assert.equal(stored.length, FORMATS.length);
    for (const f of stored) {
      const w = decodeWav(new Uint8Array(readFileSync(f)), f);
      assert.equal(w.sampleRate, 16000);
      assert.equal(w.channels.length, 1);
      assert.ok(w.channels[0].length > 16000 * 2, `${f}: ${w.channels[0].length} samples`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Dataset page's drop import (clips.import) stores M4A, Ogg Opus and WebM at 16 kHz with no sox or ffmpeg", { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-compressed-drop-'));
  const store = openStore(path.join(dir, 'data'));
  const h = createHandlers({ store, jobs: new JobHost(() => {}), mode: 'browser', emit: () => {} });
  const savedPath = process.env.PATH;
  try {
    const src = makeSource(dir);
    const w = decodeWav(new Uint8Array(readFileSync(src)), src);
    const seconds = w.channels[0].length / w.sampleRate;
    const made = FORMATS.filter((f) => /m4a|opus|webm/.test(f.file)).map(({ file, encode }) => {
      encode(src, path.join(dir, file));
      return { file, bytes: new Uint8Array(readFileSync(path.join(dir, file))) };
    });
    process.env.PATH = '';
    for (const { file, bytes } of made) {
      const clip = await h['clips.import']({ name: file, bytes, transcript: 'I fine tune Whisper.' });
      const audio = await h['clips.audio'](clip.id);
      assert.equal(audio.sampleRate, 16000, file);
      assert.ok(Math.abs(clip.durationSec - seconds) < 0.1, `${file}: ${clip.durationSec} s, source ${seconds} s`);
    }
  } finally {
    process.env.PATH = savedPath;
    closeStore(store);
    rmSync(dir, { recursive: true, force: true });
  }
});
