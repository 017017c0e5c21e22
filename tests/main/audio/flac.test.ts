import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeFlac } from '../../../src-main/audio/flac.ts';
import { findExecutable } from '../../../src-main/audio/external-decoder.ts';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { UserError } from '../../../src-main/util/errors.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const jfkFlac = path.resolve(repoRoot, '../shared/reference/audio/jfk.flac');
const noRef = !existsSync(jfkFlac) && 'needs ../shared/reference (not in a fresh clone)';
const noSox = !findExecutable('sox') && 'needs sox on PATH (to encode test FLACs)';

/** sox's own decode of a FLAC, as float WAV (exact for ≤ 24-bit). */
function soxDecode(file: string): Float32Array[] {
  const wav = execFileSync('sox', [file, '-t', 'wav', '-e', 'floating-point', '-b', '32', '-'], { maxBuffer: 1 << 28 });
  return decodeWav(new Uint8Array(wav)).channels;
}

function assertSame(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length, `${what}: channel count`);
  for (let c = 0; c < a.length; c++) {
    assert.equal(a[c].length, b[c].length, `${what}: length of channel ${c}`);
    for (let i = 0; i < a[c].length; i++) {
      if (a[c][i] !== b[c][i]) assert.fail(`${what}: channel ${c} sample ${i}: ${a[c][i]} vs ${b[c][i]}`);
    }
  }
}

/** A 16-bit multi-channel WAV exercising every FLAC subframe kind when encoded. */
function testSignalWav(rate: number, channels: number, seconds: number): Uint8Array {
  const n = Math.round(rate * seconds);
  const out = new Uint8Array(44 + n * channels * 2);
  const v = new DataView(out.buffer);
  const put = (at: number, s: string) => [...s].forEach((ch, i) => (out[at + i] = ch.charCodeAt(0)));
  put(0, 'RIFF');
  v.setUint32(4, 36 + n * channels * 2, true);
  put(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  put(36, 'data');
  v.setUint32(40, n * channels * 2, true);
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const tone = 9000 * Math.sin(2 * Math.PI * 300 * t) + 4000 * Math.sin(2 * Math.PI * 1234 * t);
    for (let c = 0; c < channels; c++) {
      let s: number;
      if (t < 0.1) s = 0; // digital silence → CONSTANT subframes
      else if (t < 0.2) s = 256 * Math.round((tone / 256) * (c + 1) * 0.5); // low bits zero → wasted bits
      else if (t < 0.3) s = 65535 * rnd(); // full-scale white noise: incompressible → VERBATIM
      else s = tone * (1 - 0.1 * c) + 200 * rnd(); // correlated channels → side/mid-side coding
      v.setInt16(44 + 2 * (i * channels + c), Math.max(-32768, Math.min(32767, Math.round(s))), true);
    }
  }
  return out;
}

test('decodes the reference jfk.flac exactly as sox does', { skip: noRef || noSox }, () => {
  const ours = decodeFlac(readFileSync(jfkFlac), 'jfk.flac');
  assert.equal(ours.sampleRate, 44100);
  assertSame(ours.channels, soxDecode(jfkFlac), 'jfk.flac');
});

test('decodes the reference jfk.flac without any external tool', { skip: noRef }, () => {
  const { sampleRate, channels } = decodeFlac(readFileSync(jfkFlac), 'jfk.flac');
  assert.equal(sampleRate, 44100);
  assert.equal(channels.length, 2);
  assert.equal(channels[0].length, 485100); // 11.0 s
});

test('is lossless across bit depths, channel counts, block sizes and compression levels', { skip: noSox }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-flac-'));
  try {
    const cases: Array<{ rate: number; ch: number; bits: number; level: number }> = [
      { rate: 16000, ch: 1, bits: 16, level: 0 },
      { rate: 44100, ch: 2, bits: 16, level: 5 },
      { rate: 48000, ch: 2, bits: 24, level: 8 },
      { rate: 8000, ch: 1, bits: 8, level: 8 },
      { rate: 22050, ch: 3, bits: 16, level: 3 },
      { rate: 11025, ch: 2, bits: 24, level: 1 },
    ];
    for (const { rate, ch, bits, level } of cases) {
      const src = path.join(dir, `src-${rate}-${ch}.wav`);
      const flac = path.join(dir, `t-${rate}-${ch}-${bits}-${level}.flac`);
      writeFileSync(src, testSignalWav(rate, ch, 0.45));
      execFileSync('sox', ['-V1', '-D', src, '-b', String(bits), '-C', String(level), flac]);
      const ours = decodeFlac(readFileSync(flac), path.basename(flac));
      assert.equal(ours.sampleRate, rate);
      assertSame(ours.channels, soxDecode(flac), path.basename(flac));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** MSB-first bit writer for hand-built FLAC streams. */
function bitWriter() {
  const bits: number[] = [];
  return {
    put(value: number, n: number) {
      for (let i = n - 1; i >= 0; i--) bits.push(Math.floor(value / 2 ** i) & 1);
    },
    align() {
      while (bits.length % 8) bits.push(0);
    },
    bytes(): number[] {
      const out: number[] = [];
      for (let i = 0; i < bits.length; i += 8) out.push(bits.slice(i, i + 8).reduce((a, b) => a * 2 + b, 0));
      return out;
    },
  };
}

/** CRC-16 (polynomial 0x8005, initial 0), bit by bit, independent of the decoder's table. */
function crc16(bytes: number[]): number {
  let c = 0;
  for (const byte of bytes) {
    c ^= byte << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

test('decodes a hand-built stream with an escaped (raw-bits) residual partition', () => {
  // libFLAC never writes escape codes by default, so build one frame by hand: 16 kHz mono 16-bit,
  // block of 4, FIXED order-0 subframe whose single partition escapes to raw 7-bit residuals.
  const head = bitWriter();
  head.put(0x664c6143, 32); // "fLaC"
  head.put(1, 1); // last metadata block
  head.put(0, 7); // STREAMINFO
  head.put(34, 24);
  head.put(4, 16); // min block
  head.put(4, 16); // max block
  head.put(0, 24);
  head.put(0, 24);
  head.put(16000, 20);
  head.put(0, 3); // 1 channel
  head.put(15, 5); // 16 bits
  head.put(4, 36); // total samples
  head.put(0, 64);
  head.put(0, 64); // MD5 (unused)
  const f = bitWriter();
  f.put(0xfff8, 16); // sync, fixed block size
  f.put(6, 4); // block size: 8-bit (size − 1) at end of header
  f.put(0, 4); // rate from STREAMINFO
  f.put(0, 4); // mono
  f.put(0, 3); // sample size from STREAMINFO
  f.put(0, 1);
  f.put(0, 8); // frame number 0
  f.put(3, 8); // block size − 1
  f.put(0, 8); // header CRC-8 (not checked by the decoder; the CRC-16 covers it)
  f.put(0, 1);
  f.put(8, 6); // FIXED, order 0
  f.put(0, 1); // no wasted bits
  f.put(0, 2); // Rice, 4-bit parameters
  f.put(0, 4); // partition order 0
  f.put(15, 4); // escape
  f.put(7, 5); // 7 raw bits per residual
  for (const v of [5, -3, 63, -64]) f.put(v < 0 ? v + 128 : v, 7);
  f.align();
  const frame = f.bytes();
  const c = crc16(frame);
  const file = Uint8Array.from([...head.bytes(), ...frame, c >> 8, c & 255]);
  const { sampleRate, channels } = decodeFlac(file, 'hand.flac');
  assert.equal(sampleRate, 16000);
  assert.deepEqual([...channels[0]].map((x) => x * 32768), [5, -3, 63, -64]);
  file[file.length - 1] ^= 1;
  assert.throws(() => decodeFlac(file, 'hand.flac'), /hand\.flac: the FLAC data is damaged at frame 0 \(checksum mismatch\)/);
});

test('damaged, truncated and non-FLAC input fail with AUDIO_DECODE_FAILED', { skip: noRef }, () => {
  const good = new Uint8Array(readFileSync(jfkFlac));
  const check = (bytes: Uint8Array, re: RegExp) =>
    assert.throws(
      () => decodeFlac(bytes, 'x.flac'),
      (e: unknown) => e instanceof UserError && e.code === 'AUDIO_DECODE_FAILED' && re.test(e.message),
    );
  const flipped = good.slice();
  flipped[Math.floor(good.length / 2)] ^= 0x10;
  check(flipped, /^x\.flac: the FLAC data is damaged/);
  check(good.subarray(0, Math.floor(good.length * 0.7)), /damaged|truncated/);
  check(good.subarray(0, 20), /header is damaged/);
  check(new TextEncoder().encode('not flac at all'), /not a FLAC file/);
});
