/**
 * A FLAC decoder in plain TypeScript (RFC 9639), so FLAC — the usual lossless export — loads on
 * machines without sox or ffmpeg. It implements the whole format: STREAMINFO, variable block
 * sizes, CONSTANT / VERBATIM / FIXED / LPC subframes, wasted bits, Rice and escaped partitions,
 * the three stereo decorrelation modes and 8–32-bit samples. Every frame's CRC-16 is checked, so a
 * damaged file fails loudly instead of decoding to clicks.
 */
import { UserError } from '../util/errors.ts';
import type { DecodedWav } from './wav.ts';
import { checkAudioHeader, maxFramesFor, tooLong, type AudioHeader, type AudioLimitOptions } from './limits.ts';

class FlacError extends Error {}

/** MSB-first bit reader over a byte array. Reading past the end throws FlacError. */
class Bits {
  pos = 0; // in bits
  constructor(readonly b: Uint8Array) {}
  get bytePos(): number {
    return this.pos >>> 3;
  }
  bit(): number {
    const p = this.pos;
    if (p >>> 3 >= this.b.length) throw new FlacError('unexpected end of file');
    this.pos = p + 1;
    return (this.b[p >>> 3] >>> (7 - (p & 7))) & 1;
  }
  /** Unsigned read of n ≤ 53 bits. */
  read(n: number): number {
    if (n <= 24) return this.small(n);
    let v = 0;
    while (n > 0) {
      const p = this.pos;
      const byte = p >>> 3;
      if (byte >= this.b.length) throw new FlacError('unexpected end of file');
      const avail = 8 - (p & 7);
      const take = Math.min(avail, n);
      const chunk = (this.b[byte] >>> (avail - take)) & ((1 << take) - 1);
      v = v * (1 << take) + chunk;
      this.pos = p + take;
      n -= take;
    }
    return v;
  }
  /** Fast path for n ≤ 24 bits (Rice remainders, most samples): one 32-bit window, no loop. */
  small(n: number): number {
    if (n === 0) return 0;
    const p = this.pos;
    const i = p >>> 3;
    if ((p + n - 1) >>> 3 >= this.b.length) throw new FlacError('unexpected end of file');
    const b = this.b;
    // Bytes past the end read as undefined → 0 in the bit operations.
    const w = (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
    this.pos = p + n;
    return (w << (p & 7)) >>> (32 - n);
  }
  /** Two's-complement signed read of n ≤ 33 bits. */
  signed(n: number): number {
    if (n === 0) return 0;
    const v = this.read(n);
    return v >= 2 ** (n - 1) ? v - 2 ** n : v;
  }
  /** Count zero bits up to (and consume) the next one bit. */
  unary(): number {
    let q = 0;
    for (;;) {
      const p = this.pos;
      const byte = p >>> 3;
      if (byte >= this.b.length) throw new FlacError('unexpected end of file');
      // Fast path: the rest of this byte is all zeros.
      const rest = this.b[byte] & (0xff >>> (p & 7));
      if (rest === 0) {
        q += 8 - (p & 7);
        this.pos = (byte + 1) << 3;
        continue;
      }
      const lead = Math.clz32(rest) - 24; // leading zeros within the byte
      q += lead - (p & 7);
      this.pos = (byte << 3) + lead + 1;
      return q;
    }
  }
  alignToByte(): void {
    this.pos = (this.pos + 7) & ~7;
  }
}

type StreamInfo = { sampleRate: number; channels: number; bps: number; totalSamples: number };

const CRC16 = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

function crc16(b: Uint8Array, from: number, to: number): number {
  let c = 0;
  for (let i = from; i < to; i++) c = ((c << 8) & 0xffff) ^ CRC16[(c >>> 8) ^ b[i]];
  return c;
}

function readStreamInfo(r: Bits): StreamInfo {
  let info: StreamInfo | null = null;
  for (let last = 0; !last; ) {
    last = r.bit();
    const type = r.read(7);
    const len = r.read(24);
    const start = r.bytePos;
    if (type === 0) {
      if (len < 34) throw new FlacError('STREAMINFO block is too short');
      r.read(16); // min block size
      r.read(16); // max block size
      r.read(24); // min frame size
      r.read(24); // max frame size
      const sampleRate = r.read(20);
      const channels = r.read(3) + 1;
      const bps = r.read(5) + 1;
      const totalSamples = r.read(36);
      info = { sampleRate, channels, bps, totalSamples };
    } else if (type === 127) {
      throw new FlacError('invalid metadata block type 127');
    }
    if (start + len > r.b.length) throw new FlacError('a metadata block runs past the end of the file');
    r.pos = (start + len) * 8;
  }
  if (!info) throw new FlacError('no STREAMINFO block');
  return info;
}

const BLOCK_SIZES = [0, 192, 576, 1152, 2304, 4608, -8, -16, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];
const SAMPLE_BITS = [0, 8, 12, -1, 16, 20, 24, 32];

/** Decode residuals for `order` warm-up samples already in out[0..order) (written from there on). */
function readResidual(r: Bits, out: Float64Array, blockSize: number, order: number): void {
  const method = r.read(2);
  if (method > 1) throw new FlacError('reserved residual coding method');
  const paramBits = method === 0 ? 4 : 5;
  const escape = method === 0 ? 15 : 31;
  const partOrder = r.read(4);
  const parts = 1 << partOrder;
  if (blockSize % parts !== 0 || (blockSize >> partOrder) < order) throw new FlacError('bad residual partition order');
  let i = order;
  for (let p = 0; p < parts; p++) {
    const n = (blockSize >> partOrder) - (p === 0 ? order : 0);
    const k = r.read(paramBits);
    if (k === escape) {
      const bits = r.read(5);
      for (let j = 0; j < n; j++) out[i++] = r.signed(bits);
    } else {
      const big = k > 24; // small() serves ≤ 24 bits
      const mul = 2 ** k;
      for (let j = 0; j < n; j++) {
        const q = r.unary();
        const u = q * mul + (big ? r.read(k) : r.small(k));
        // Zig-zag: 0, −1, 1, −2, … (kept in float math: u may exceed 2^31)
        out[i++] = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
    }
  }
}

function readSubframe(r: Bits, blockSize: number, bps: number, out: Float64Array): void {
  if (r.bit() !== 0) throw new FlacError('subframe padding bit is set');
  const type = r.read(6);
  let wasted = 0;
  if (r.bit()) wasted = r.unary() + 1;
  const bits = bps - wasted;
  if (bits <= 0) throw new FlacError('wasted bits exceed the sample size');
  if (type === 0) {
    out.fill(r.signed(bits), 0, blockSize);
  } else if (type === 1) {
    for (let i = 0; i < blockSize; i++) out[i] = r.signed(bits);
  } else if (type >= 8 && type <= 12) {
    const order = type - 8;
    if (order > blockSize) throw new FlacError('predictor order exceeds the block size');
    for (let i = 0; i < order; i++) out[i] = r.signed(bits);
    readResidual(r, out, blockSize, order);
    // Fixed polynomial predictors of order 0–4 (integer differences), applied in place.
    for (let i = order; i < blockSize; i++) {
      const a = out[i - 1], b = out[i - 2], c = out[i - 3], d = out[i - 4];
      out[i] +=
        order === 0 ? 0 : order === 1 ? a : order === 2 ? 2 * a - b : order === 3 ? 3 * a - 3 * b + c : 4 * a - 6 * b + 4 * c - d;
    }
  } else if (type >= 32) {
    const order = type - 31;
    if (order > blockSize) throw new FlacError('predictor order exceeds the block size');
    for (let i = 0; i < order; i++) out[i] = r.signed(bits);
    const precision = r.read(4) + 1;
    if (precision === 16) throw new FlacError('invalid LPC precision');
    const shift = r.signed(5);
    if (shift < 0) throw new FlacError('negative LPC shift');
    const coefs = new Float64Array(order);
    for (let j = 0; j < order; j++) coefs[j] = r.signed(precision);
    readResidual(r, out, blockSize, order);
    const div = 2 ** shift;
    for (let i = order; i < blockSize; i++) {
      let sum = 0;
      for (let j = 0; j < order; j++) sum += coefs[j] * out[i - 1 - j];
      out[i] += Math.floor(sum / div); // arithmetic shift right
    }
  } else {
    throw new FlacError(`reserved subframe type ${type}`);
  }
  if (wasted) for (let i = 0; i < blockSize; i++) out[i] *= 2 ** wasted;
}

/** UTF-8-style coded frame/sample number (up to 36 bits); only skipped, but must be parsed. */
function skipCodedNumber(r: Bits): void {
  const first = r.read(8);
  let extra = 0;
  for (let m = 0x80; first & m && m; m >>= 1) extra++;
  if (extra === 1 || extra > 7) throw new FlacError('bad frame number');
  for (let i = 1; i < extra; i++) if (r.read(8) >>> 6 !== 2) throw new FlacError('bad frame number');
}

/**
 * Read a FLAC file's STREAMINFO (after an optional ID3v2 tag) and check it — rate, channels, bit
 * depth and, when the header gives the length, the duration against `opts.maxSeconds` — without
 * decoding a frame. Returns the header and the bit position of the first frame.
 */
export function parseFlacHeader(bytes: Uint8Array, name = 'audio.flac', opts: AudioLimitOptions = {}): { info: StreamInfo; header: AudioHeader; framesAt: number } {
  const fail = (what: string): never => {
    throw new UserError('AUDIO_DECODE_FAILED', `${name}: ${what}`);
  };
  let start = 0;
  if (bytes.length >= 10 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    start = 10 + (((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f));
  }
  if (String.fromCharCode(...bytes.subarray(start, start + 4)) !== 'fLaC') fail('this is not a FLAC file (no "fLaC" marker).');
  const r = new Bits(bytes);
  r.pos = (start + 4) * 8;
  let info: StreamInfo;
  try {
    info = readStreamInfo(r);
  } catch (e) {
    if (e instanceof FlacError) fail(`the FLAC header is damaged (${e.message}).`);
    throw e;
  }
  if (info.sampleRate === 0) fail('the FLAC header gives a sample rate of 0 Hz; the file is damaged.');
  // totalSamples 0 means "unknown" (a streamed encode); then the decoder's running cap applies.
  const header: AudioHeader = { sampleRate: info.sampleRate, channels: info.channels, bitsPerSample: info.bps, frames: info.totalSamples > 0 ? info.totalSamples : null };
  checkAudioHeader(header, name, opts);
  return { info, header, framesAt: r.pos };
}

/**
 * Decode a FLAC file (optionally preceded by an ID3v2 tag). `name` is used in error messages.
 * `opts.maxSeconds` refuses longer audio (AUDIO_TOO_LONG): from the header when it gives the
 * length, else as soon as the decoded frames pass it — so a small file of constant frames cannot
 * expand to gigabytes.
 */
export function decodeFlac(bytes: Uint8Array, name = 'audio.flac', opts: AudioLimitOptions = {}): DecodedWav {
  const fail = (what: string): never => {
    throw new UserError('AUDIO_DECODE_FAILED', `${name}: ${what}`);
  };
  const { info, framesAt } = parseFlacHeader(bytes, name, opts);
  const r = new Bits(bytes);
  r.pos = framesAt;
  const maxFrames = maxFramesFor(info.sampleRate, opts.maxSeconds);

  // Samples per channel, grown as frames arrive (the total in STREAMINFO may be 0 = unknown).
  // Start from the header's total but not beyond 4 M samples: a damaged header must not make us
  // allocate gigabytes before the first frame is even read.
  let cap = info.totalSamples > 0 ? Math.min(info.totalSamples, 1 << 22) : 1 << 16;
  let chans = Array.from({ length: info.channels }, () => new Float32Array(cap));
  let n = 0;
  let frameNo = 0;
  const bufs = Array.from({ length: info.channels }, () => new Float64Array(65536));

  while (r.bytePos + 2 <= bytes.length) {
    // Frames past the promised length are never used: stop instead of decoding (and growing) them.
    if (info.totalSamples > 0 && n >= info.totalSamples) break;
    const frameStart = r.bytePos;
    // 14-bit sync code 0b11111111111110.
    if (bytes[frameStart] !== 0xff || bytes[frameStart + 1] >>> 1 !== 0x7c) {
      if (info.totalSamples > 0 && n >= info.totalSamples) break; // trailing tag (ID3v1 …)
      fail(`the FLAC data is damaged: no frame starts at byte ${frameStart} (frame ${frameNo}).`);
    }
    try {
      r.read(16);
      const bsCode = r.read(4);
      const rateCode = r.read(4);
      const chanCode = r.read(4);
      const sizeCode = r.read(3);
      r.read(1);
      skipCodedNumber(r);
      let blockSize = BLOCK_SIZES[bsCode];
      if (blockSize === 0) throw new FlacError('reserved block size');
      if (blockSize === -8) blockSize = r.read(8) + 1;
      else if (blockSize === -16) blockSize = r.read(16) + 1;
      if (rateCode === 12) r.read(8);
      else if (rateCode === 13 || rateCode === 14) r.read(16);
      else if (rateCode === 15) throw new FlacError('invalid sample rate code');
      const bps = sizeCode === 0 ? info.bps : SAMPLE_BITS[sizeCode];
      if (bps < 0) throw new FlacError('reserved sample size');
      r.read(8); // header CRC-8 (the CRC-16 below covers the header too)
      const nch = chanCode < 8 ? chanCode + 1 : 2;
      if (chanCode > 10) throw new FlacError('reserved channel assignment');
      if (nch !== info.channels) throw new FlacError(`frame has ${nch} channels, stream has ${info.channels}`);
      for (let c = 0; c < nch; c++) {
        // The side channel carries one extra bit.
        const extra = (chanCode === 8 && c === 1) || (chanCode === 9 && c === 0) || (chanCode === 10 && c === 1) ? 1 : 0;
        if (bufs[c].length < blockSize) bufs[c] = new Float64Array(blockSize);
        readSubframe(r, blockSize, bps + extra, bufs[c]);
      }
      r.alignToByte();
      const end = r.bytePos;
      const crc = r.read(16);
      if (crc16(bytes, frameStart, end) !== crc) throw new FlacError('checksum mismatch');

      if (chanCode >= 8) {
        const [a, b] = bufs;
        for (let i = 0; i < blockSize; i++) {
          if (chanCode === 8) b[i] = a[i] - b[i]; // left, side → right
          else if (chanCode === 9) a[i] = a[i] + b[i]; // side, right → left
          else {
            // mid, side → left, right. The low bit of mid was dropped by the encoder; it equals
            // side's parity. (Float math: side may have 33 bits, beyond int32 bit operators.)
            const mid = a[i] * 2 + (b[i] % 2 !== 0 ? 1 : 0);
            a[i] = (mid + b[i]) / 2;
            b[i] = (mid - b[i]) / 2;
          }
        }
      }
      if (n + blockSize > cap) {
        cap = Math.max(cap * 2, n + blockSize);
        chans = chans.map((ch) => {
          const g = new Float32Array(cap);
          g.set(ch.subarray(0, n));
          return g;
        });
      }
      const scale = 1 / 2 ** (bps - 1);
      for (let c = 0; c < nch; c++) {
        const src = bufs[c];
        const dst = chans[c];
        for (let i = 0; i < blockSize; i++) dst[n + i] = src[i] * scale;
      }
      n += blockSize;
      frameNo++;
      if (Math.min(n, info.totalSamples || n) > maxFrames) throw tooLong(name, null, opts.maxSeconds!);
    } catch (e) {
      if (e instanceof FlacError) fail(`the FLAC data is damaged at frame ${frameNo} (${e.message}); re-export the file.`);
      throw e;
    }
  }
  if (n === 0) fail('the FLAC file contains no audio samples.');
  if (info.totalSamples > 0 && n < info.totalSamples) fail(`the FLAC file is truncated: ${n} of ${info.totalSamples} samples present.`);
  const len = info.totalSamples > 0 ? Math.min(n, info.totalSamples) : n;
  return { sampleRate: info.sampleRate, channels: chans.map((ch) => ch.subarray(0, len).slice()) };
}
