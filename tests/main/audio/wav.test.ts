import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeWav, encodeWavPcm16 } from '../../../src-main/audio/wav.ts';
import { UserError } from '../../../src-main/util/errors.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const refAudio = path.resolve(repoRoot, '../shared/reference/audio');

type Chunk = { id: string; body: Uint8Array };

/** Assemble a RIFF file from raw chunks (with word-alignment padding), independent of the encoder under test. */
function riff(chunks: Chunk[], opts: { form?: string } = {}): Uint8Array {
  const parts: number[] = [];
  const push4 = (s: string) => parts.push(...[...s].map((c) => c.charCodeAt(0)));
  const pushU32 = (n: number) => parts.push(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
  for (const c of chunks) {
    push4(c.id);
    pushU32(c.body.length);
    parts.push(...c.body);
    if (c.body.length & 1) parts.push(0);
  }
  const out = new Uint8Array(12 + parts.length);
  const v = new DataView(out.buffer);
  out.set([...'RIFF'].map((c) => c.charCodeAt(0)), 0);
  v.setUint32(4, 4 + parts.length, true);
  out.set([...(opts.form ?? 'WAVE')].map((c) => c.charCodeAt(0)), 8);
  out.set(parts, 12);
  return out;
}

function fmtChunk(format: number, channels: number, rate: number, bits: number, extensible = false): Chunk {
  const body = new Uint8Array(extensible ? 40 : 16);
  const v = new DataView(body.buffer);
  const align = (channels * bits) / 8;
  v.setUint16(0, extensible ? 0xfffe : format, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, rate * align, true);
  v.setUint16(12, align, true);
  v.setUint16(14, bits, true);
  if (extensible) {
    v.setUint16(16, 22, true);
    v.setUint16(18, bits, true);
    v.setUint32(20, channels === 2 ? 3 : 4, true);
    v.setUint16(24, format, true); // first two bytes of the subformat GUID
  }
  return { id: 'fmt ', body };
}

function dataChunk(bytes: number[] | Uint8Array): Chunk {
  return { id: 'data', body: Uint8Array.from(bytes) };
}

function decodeError(bytes: Uint8Array): UserError {
  try {
    decodeWav(bytes, 'clip.wav');
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
    assert.equal(e.code, 'AUDIO_DECODE_FAILED');
    assert.match(e.message, /^clip\.wav: /);
    return e;
  }
  assert.fail('decodeWav accepted a bad file');
}

test('encodeWavPcm16 writes a canonical 44-byte header and round-trips within one step', () => {
  const x = Float32Array.from([0, 0.5, -0.5, 1, -1, 1.7, -3, 0.123456]);
  const bytes = encodeWavPcm16(x, 16000);
  assert.equal(bytes.length, 44 + 2 * x.length);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'RIFF');
  assert.equal(new TextDecoder().decode(bytes.subarray(36, 40)), 'data');
  const { sampleRate, channels } = decodeWav(bytes);
  assert.equal(sampleRate, 16000);
  assert.equal(channels.length, 1);
  const y = channels[0];
  const clipped = x.map((s) => Math.max(-1, Math.min(1, s)));
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(y[i] - clipped[i]) <= 1 / 32768 + 1e-7, `sample ${i}: ${y[i]} vs ${clipped[i]}`);
  const dv = new DataView(bytes.buffer);
  assert.equal(dv.getInt16(44 + 2 * 5, true), 32767, 'values above 1 clip to full scale');
  assert.equal(dv.getInt16(44 + 2 * 6, true), -32768, 'values below -1 clip to full scale');
  assert.equal(dv.getInt16(44 + 2 * 1, true), 16384);
});

test('decode → encode of PCM16 is bit-exact (trimming a recording does not alter it)', () => {
  const ints = Int16Array.from([-32768, -32767, -12345, -1, 0, 1, 2, 12345, 32766, 32767]);
  const wav = new Uint8Array(44 + ints.length * 2);
  wav.set(encodeWavPcm16(new Float32Array(0), 22050));
  new DataView(wav.buffer).setUint32(40, ints.length * 2, true);
  wav.set(new Uint8Array(ints.buffer), 44);
  const again = encodeWavPcm16(decodeWav(wav).channels[0], 22050);
  assert.deepEqual(new Int16Array(again.buffer.slice(44)), ints);
  assert.equal(new DataView(again.buffer).getUint32(24, true), 22050);
});

test('decodes 8-bit unsigned, 24-bit and 32-bit integer PCM', () => {
  const u8 = decodeWav(riff([fmtChunk(1, 1, 8000, 8), dataChunk([128, 255, 0, 192])]));
  assert.equal(u8.sampleRate, 8000);
  assert.deepEqual([...u8.channels[0]], [0, 127 / 128, -1, 0.5]);

  // 24-bit little-endian: 0x400000 = 0.5, 0xC00000 = -0.5, 0x800000 = -1
  const i24 = decodeWav(riff([fmtChunk(1, 1, 48000, 24), dataChunk([0, 0, 0x40, 0, 0, 0xc0, 0, 0, 0x80])]));
  assert.deepEqual([...i24.channels[0]], [0.5, -0.5, -1]);

  const b32 = new Uint8Array(8);
  new DataView(b32.buffer).setInt32(0, 1 << 30, true);
  new DataView(b32.buffer).setInt32(4, -(2 ** 31), true);
  const i32 = decodeWav(riff([fmtChunk(1, 1, 22050, 32), dataChunk(b32)]));
  assert.deepEqual([...i32.channels[0]], [0.5, -1]);
});

test('decodes 32- and 64-bit float, stereo, and WAVE_FORMAT_EXTENSIBLE', () => {
  const f32 = new Uint8Array(16);
  const v32 = new DataView(f32.buffer);
  [0.25, -0.75, 0.5, 1.0].forEach((s, i) => v32.setFloat32(4 * i, s, true));
  const stereo = decodeWav(riff([fmtChunk(3, 2, 44100, 32), dataChunk(f32)]));
  assert.equal(stereo.channels.length, 2);
  assert.deepEqual([...stereo.channels[0]], [0.25, 0.5]);
  assert.deepEqual([...stereo.channels[1]], [-0.75, 1.0]);

  const f64 = new Uint8Array(16);
  new DataView(f64.buffer).setFloat64(0, 0.1, true);
  new DataView(f64.buffer).setFloat64(8, -0.2, true);
  const d = decodeWav(riff([fmtChunk(3, 1, 16000, 64), dataChunk(f64)]));
  assert.ok(Math.abs(d.channels[0][0] - 0.1) < 1e-7 && Math.abs(d.channels[0][1] + 0.2) < 1e-7);

  const ext = decodeWav(riff([fmtChunk(1, 2, 96000, 16, true), dataChunk([0, 0x40, 0, 0xc0])]));
  assert.equal(ext.sampleRate, 96000);
  assert.deepEqual([ext.channels[0][0], ext.channels[1][0]], [0.5, -0.5]);
  const extFloat = decodeWav(riff([fmtChunk(3, 1, 16000, 32, true), dataChunk(f32.subarray(0, 4))]));
  assert.deepEqual([...extFloat.channels[0]], [0.25]);
});

test('skips unknown chunks, honours odd-size padding, and drops a trailing partial frame', () => {
  const list = { id: 'LIST', body: new Uint8Array([1, 2, 3, 4, 5]) }; // odd: one pad byte follows
  const bext = { id: 'bext', body: new Uint8Array(7) };
  const w = decodeWav(riff([list, fmtChunk(1, 1, 16000, 16), bext, dataChunk([0, 0x40, 0, 0xc0, 0x11]), { id: 'id3 ', body: new Uint8Array(3) }]));
  assert.deepEqual([...w.channels[0]], [0.5, -0.5]);
  // data before fmt is legal RIFF
  const late = decodeWav(riff([dataChunk([0, 0x40]), fmtChunk(1, 1, 16000, 16)]));
  assert.deepEqual([...late.channels[0]], [0.5]);
});

test('rejects non-WAV, truncated, empty and unsupported files with clear AUDIO_DECODE_FAILED errors', () => {
  assert.match(decodeError(new TextEncoder().encode('ID3\x03 this is really an mp3 renamed to wav')).message, /not a WAV file/);
  assert.match(decodeError(new Uint8Array(0)).message, /0 bytes long/);
  assert.match(decodeError(riff([fmtChunk(1, 1, 16000, 16)], { form: 'AVI ' })).message, /not a WAV file/);

  const lying = riff([fmtChunk(1, 1, 16000, 16), dataChunk([0, 0, 0, 0])]);
  new DataView(lying.buffer).setUint32(lying.length - 8, 1_000_000, true);
  const e = decodeError(lying);
  assert.match(e.message, /claims 1000000 bytes but only 4 bytes follow/);

  assert.match(decodeError(riff([fmtChunk(1, 1, 16000, 16), dataChunk([])])).message, /no audio samples/);
  assert.match(decodeError(riff([fmtChunk(1, 1, 16000, 16), dataChunk([7])])).message, /no audio samples/);
  assert.match(decodeError(riff([fmtChunk(1, 1, 16000, 16)])).message, /no "data" chunk/);
  assert.match(decodeError(riff([dataChunk([0, 0])])).message, /no "fmt " chunk/);
  assert.match(decodeError(riff([fmtChunk(2, 1, 16000, 4), dataChunk([0, 0])])).message, /Microsoft ADPCM-compressed.*Convert/);
  assert.match(decodeError(riff([fmtChunk(0x1234, 1, 16000, 16), dataChunk([0, 0])])).message, /format code 0x1234/);
  assert.match(decodeError(riff([fmtChunk(1, 1, 16000, 12), dataChunk([0, 0])])).message, /12-bit integer/);
  assert.match(decodeError(riff([fmtChunk(1, 0, 16000, 16), dataChunk([0, 0])])).message, /0 channels/);
  assert.match(decodeError(riff([fmtChunk(1, 1, 0, 16), dataChunk([0, 0])])).message, /sample rate is 0/);

  const nan = new Uint8Array(4);
  new DataView(nan.buffer).setFloat32(0, NaN, true);
  assert.match(decodeError(riff([fmtChunk(3, 1, 16000, 32), dataChunk(nan)])).message, /non-finite/);

  // A fmt chunk whose size runs past the end of the file.
  const cut = riff([fmtChunk(1, 1, 16000, 16)]).subarray(0, 30);
  assert.match(decodeError(cut).message, /truncated/);
});

test('decodes the reference jfk clip', { skip: !existsSync(refAudio) && 'needs ../shared/reference (not in a fresh clone)' }, () => {
  const { sampleRate, channels } = decodeWav(readFileSync(path.join(refAudio, 'jfk-16k.wav')), 'jfk-16k.wav');
  assert.equal(sampleRate, 16000);
  assert.equal(channels.length, 1);
  assert.equal(channels[0].length, 176000);
  let sq = 0;
  for (const s of channels[0]) sq += s * s;
  const rms = Math.sqrt(sq / channels[0].length);
  assert.ok(rms > 0.01 && rms < 0.5, `rms ${rms}`);
});
