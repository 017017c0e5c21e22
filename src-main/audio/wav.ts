/**
 * RIFF/WAVE reading and writing. The decoder accepts the PCM variants real recorders and editors
 * write (8-bit unsigned, 16/24/32-bit signed integer, 32/64-bit float, plain or
 * WAVE_FORMAT_EXTENSIBLE) and refuses everything else with a sentence a user can act on, because
 * a clip that silently decodes to noise would poison a fine-tuning run.
 */
import { UserError } from '../util/errors.ts';
import { checkAudioHeader, type AudioHeader, type AudioLimitOptions } from './limits.ts';

export type DecodedWav = {
  sampleRate: number;
  /** One Float32Array per channel, samples nominally in [-1, 1]. */
  channels: Float32Array[];
};

const FORMAT_PCM = 0x0001;
const FORMAT_IEEE_FLOAT = 0x0003;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Format codes that show up in the wild, so the error can say what the file actually is. */
const KNOWN_FORMATS: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0055: 'MP3',
  0x00ff: 'AAC',
  0x1610: 'AAC',
};

function fail(name: string, what: string): never {
  throw new UserError('AUDIO_DECODE_FAILED', `${name}: ${what}`);
}

function fourcc(v: DataView, at: number): string {
  return String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));
}

type Fmt = { format: number; channels: number; sampleRate: number; blockAlign: number; bits: number };

function readFmt(v: DataView, at: number, size: number, name: string): Fmt {
  if (size < 16) fail(name, `the "fmt " chunk is ${size} bytes, shorter than the 16 a WAV header needs; the file is damaged.`);
  let format = v.getUint16(at, true);
  const channels = v.getUint16(at + 2, true);
  const sampleRate = v.getUint32(at + 4, true);
  const blockAlign = v.getUint16(at + 12, true);
  const bits = v.getUint16(at + 14, true);
  if (format === FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then a GUID whose first two
    // bytes are the real format code. Samples stay in `bits`-wide containers (validBits may be
    // smaller, e.g. 24-in-32, which decodes correctly as left-justified 32-bit).
    if (size < 40) fail(name, `the WAVE_FORMAT_EXTENSIBLE header is ${size} bytes, shorter than 40; the file is damaged.`);
    format = v.getUint16(at + 24, true);
  }
  if (format !== FORMAT_PCM && format !== FORMAT_IEEE_FLOAT) {
    const known = KNOWN_FORMATS[format];
    const what = known ? `${known}-compressed` : `in an unsupported encoding (format code 0x${format.toString(16).padStart(4, '0')})`;
    fail(name, `the WAV file is ${what}; only uncompressed PCM or float WAV is supported. Convert it to 16-bit PCM WAV (e.g. "sox in.wav -b 16 out.wav").`);
  }
  if (channels === 0) fail(name, 'the WAV header says the file has 0 channels; the file is damaged.');
  if (sampleRate === 0) fail(name, 'the WAV header says the sample rate is 0 Hz; the file is damaged.');
  const intOk = format === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32);
  const floatOk = format === FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64);
  if (!intOk && !floatOk) {
    const kind = format === FORMAT_PCM ? 'integer' : 'float';
    fail(name, `${bits}-bit ${kind} samples are not supported (use 8/16/24/32-bit integer or 32/64-bit float PCM).`);
  }
  if (blockAlign !== channels * (bits / 8)) {
    fail(name, `the WAV header is inconsistent: block align ${blockAlign} bytes ≠ ${channels} channels × ${bits / 8} bytes; the file is damaged.`);
  }
  return { format, channels, sampleRate, blockAlign, bits };
}

export type WavLayout = { fmt: Fmt; data: { at: number; size: number }; frames: number; header: AudioHeader };

/**
 * Walk a RIFF/WAVE file's chunks and check its header (format, rate, channels, bit depth, and the
 * duration its data chunk implies against `opts.maxSeconds`) without decoding a sample: O(chunks).
 */
export function parseWavHeader(bytes: Uint8Array, name = 'audio', opts: AudioLimitOptions = {}): WavLayout {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12) fail(name, `the file is only ${bytes.byteLength} bytes long; it is empty or not a WAV file.`);
  const riff = fourcc(v, 0);
  if (riff === 'RIFX' || riff === 'RF64') fail(name, `this is a ${riff} file (big-endian or >4 GB WAV), which is not supported; convert it to a standard WAV.`);
  if (riff !== 'RIFF' || fourcc(v, 8) !== 'WAVE') {
    fail(name, 'this is not a WAV file (no RIFF/WAVE header). If it is another format, convert it to WAV.');
  }

  let fmt: Fmt | null = null;
  let data: { at: number; size: number } | null = null;
  // Walk the chunks. Every step advances by at least 8 bytes, so a lying size can never loop.
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = fourcc(v, at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    const available = bytes.byteLength - body;
    if (id === 'fmt ') {
      if (size > available) fail(name, `the "fmt " chunk claims ${size} bytes but only ${available} remain; the file is truncated.`);
      fmt = readFmt(v, body, size, name);
    } else if (id === 'data') {
      if (size > available) {
        // Streaming writers (e.g. a killed recorder, `ffmpeg ... -f wav -` into a pipe) leave the
        // size unpatched. Guessing where the audio ends would risk decoding garbage, so refuse.
        fail(name, `the "data" chunk claims ${size} bytes but only ${available} bytes follow; the file is truncated or was not finalised by the program that wrote it. Re-export it.`);
      }
      data = { at: body, size };
      if (fmt) break; // Anything after the samples (LIST, id3 …) is irrelevant.
    }
    // Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
    at = body + size + (size & 1);
  }
  if (!fmt) fail(name, 'the WAV file has no "fmt " chunk, so its sample format is unknown; the file is damaged.');
  if (!data) fail(name, 'the WAV file has no "data" chunk, so it contains no audio.');
  // A trailing partial frame (a crash mid-write) is dropped rather than read past.
  const frames = Math.floor(data.size / fmt.blockAlign);
  const header: AudioHeader = { sampleRate: fmt.sampleRate, channels: fmt.channels, bitsPerSample: fmt.bits, frames };
  // Before anything is allocated: a header claiming 1 Hz or 2^32 Hz is refused here, in microseconds.
  checkAudioHeader(header, name, opts);
  if (frames === 0) fail(name, 'the WAV file contains no audio samples (zero-length recording).');
  return { fmt, data, frames, header };
}

/**
 * Decode a RIFF/WAVE file. `name` is only used in error messages (pass the file name).
 * Returns per-channel Float32Arrays: integers are scaled by 1/2^(bits−1) (8-bit is unsigned,
 * centred at 128), floats are passed through unchanged. `opts.maxSeconds` refuses longer audio
 * (AUDIO_TOO_LONG) from the header, before decoding.
 */
export function decodeWav(bytes: Uint8Array, name = 'audio', opts: AudioLimitOptions = {}): DecodedWav {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { fmt, data, frames } = parseWavHeader(bytes, name, opts);

  const channels = Array.from({ length: fmt.channels }, () => new Float32Array(frames));
  const { bits, format } = fmt;
  const nch = fmt.channels;
  let p = data.at;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++) {
      let s: number;
      if (format === FORMAT_IEEE_FLOAT) s = bits === 32 ? v.getFloat32(p, true) : v.getFloat64(p, true);
      else if (bits === 16) s = v.getInt16(p, true) / 32768;
      else if (bits === 24) s = (((v.getUint8(p + 2) << 24) | (v.getUint8(p + 1) << 16) | (v.getUint8(p) << 8)) >> 8) / 8388608;
      else if (bits === 32) s = v.getInt32(p, true) / 2147483648;
      else s = (v.getUint8(p) - 128) / 128;
      channels[c][i] = s;
      p += bits >> 3;
    }
  }
  for (const ch of channels) {
    for (let i = 0; i < ch.length; i++) {
      if (!Number.isFinite(ch[i])) fail(name, `the float WAV contains a non-finite sample (NaN or infinity) at ${(i / fmt.sampleRate).toFixed(3)} s; the file is damaged.`);
    }
  }
  return { sampleRate: fmt.sampleRate, channels };
}

/**
 * Encode mono samples as a canonical 44-byte-header 16-bit PCM WAV. Samples are clipped to
 * [-1, 1] and rounded to the nearest step of 1/32768 (the decoder's scale; +1.0 clips to 32767),
 * so re-encoding decoded PCM16 — e.g. after trimming a recording — is bit-exact.
 */
export function encodeWavPcm16(samples: Float32Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`encodeWavPcm16: bad sample rate ${sampleRate}`);
  const dataSize = samples.length * 2;
  const out = new Uint8Array(44 + dataSize);
  const v = new DataView(out.buffer);
  const tag = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  tag(0, 'RIFF');
  v.setUint32(4, 36 + dataSize, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, FORMAT_PCM, true);
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true);
  tag(36, 'data');
  v.setUint32(40, dataSize, true);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    // NaN maps to silence rather than to an arbitrary full-scale click.
    const q = x === x ? Math.round(x * 32768) : 0;
    v.setInt16(44 + 2 * i, q > 32767 ? 32767 : q < -32768 ? -32768 : q, true);
  }
  return out;
}
