/**
 * Small audio files that lie: headers claiming absurd rates, channel counts or lengths, and a FLAC
 * "decode bomb" of constant frames (each frame 12 bytes, 65 536 samples). Built byte by byte so
 * the tests control every field; the FLAC frames carry correct CRC-16s, so a decoder without
 * limits really decodes them all.
 */

/** A PCM16 WAV whose header says `sampleRate` / `channels` and whose data chunk holds `dataBytes`. */
export function wavWithHeader(o: { sampleRate: number; channels?: number; bits?: number; dataBytes: number }): Uint8Array {
  const channels = o.channels ?? 1;
  const bits = o.bits ?? 16;
  const out = new Uint8Array(44 + o.dataBytes);
  const v = new DataView(out.buffer);
  const tag = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  tag(0, 'RIFF');
  v.setUint32(4, 36 + o.dataBytes, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, o.sampleRate >>> 0, true);
  v.setUint32(28, (o.sampleRate * channels * (bits / 8)) >>> 0, true);
  v.setUint16(32, channels * (bits / 8), true);
  v.setUint16(34, bits, true);
  tag(36, 'data');
  v.setUint32(40, o.dataBytes, true);
  // A quiet sine so it is real audio where it is decoded at all.
  for (let i = 0; i + 1 < o.dataBytes; i += 2) v.setInt16(44 + i, Math.round(3000 * Math.sin(i / 20)), true);
  return out;
}

function crc16(b: Uint8Array): number {
  let c = 0;
  for (const x of b) {
    c ^= x << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

/**
 * A mono 16-bit FLAC of `frames` CONSTANT frames of 65 536 samples each at `sampleRate`.
 * `totalSamples`: what STREAMINFO claims (0 = "unknown", as a streamed encode writes).
 */
export function flacConstantBomb(o: { sampleRate: number; frames: number; totalSamples: number }): Uint8Array {
  const parts: number[] = [...'fLaC'].map((c) => c.charCodeAt(0));
  // STREAMINFO, last block: 34 bytes.
  parts.push(0x80, 0, 0, 34);
  const si = new Uint8Array(34);
  si[0] = 0xff; si[1] = 0xff; si[2] = 0xff; si[3] = 0xff; // min/max block size 65535
  // 20-bit rate, 3-bit channels−1 (0), 5-bit bps−1 (15), 36-bit total samples.
  const rate = o.sampleRate;
  si[10] = (rate >>> 12) & 0xff;
  si[11] = (rate >>> 4) & 0xff;
  si[12] = ((rate & 0xf) << 4) | (0 << 1) | (15 >>> 4);
  const total = o.totalSamples;
  si[13] = ((15 & 0xf) << 4) | (Math.floor(total / 2 ** 32) & 0xf);
  si[14] = (total >>> 24) & 0xff;
  si[15] = (total >>> 16) & 0xff;
  si[16] = (total >>> 8) & 0xff;
  si[17] = total & 0xff;
  parts.push(...si);
  // One frame: sync, block size code 7 (16-bit size−1 at the end), rate/size from STREAMINFO,
  // mono, frame number 0, size−1 = 65535, CRC-8 (not checked by our decoder; 0), a CONSTANT
  // subframe of value 1000, then CRC-16 over the frame.
  const body = new Uint8Array([0xff, 0xf8, 0x70, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 1000 >> 8, 1000 & 0xff]);
  const crc = crc16(body);
  const frame = [...body, crc >> 8, crc & 0xff];
  for (let i = 0; i < o.frames; i++) parts.push(...frame);
  return new Uint8Array(parts);
}
