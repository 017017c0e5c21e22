/**
 * In-process decoding of the compressed formats people actually have — MP3, M4A/AAC (phone voice
 * memos), Ogg Vorbis, Ogg Opus and WebM/Opus (what browsers record) — and AIFF, with the audiojs
 * WebAssembly decoder family (@audio/decode-*: mpg123, FAAD2, libopus, libvorbis compiled to wasm).
 * No system tool is needed; sox/ffmpeg stay an optional fallback for what these cannot read
 * (external-decoder.ts).
 *
 * Chosen by measurement on a 5.4 s 44.1 kHz stereo espeak-ng clip encoded with lame, opusenc and
 * ffmpeg, against ffmpeg's own decode (correlation after alignment; decode time, warm, 2-core box):
 *   MP3   @audio/decode-mp3 21.7 ms, 1.000000 | mpg123-decoder 27.8 ms, 1.000000
 *   Opus  @audio/decode-opus 61.5 ms, 1.000000 | ogg-opus-decoder 39.0 ms, 1.000000
 *   Vorbis @audio/decode-vorbis 41.6 ms, 1.000000 | @wasm-audio-decoders/ogg-vorbis 44.2 ms
 *   M4A   @audio/decode-aac 13.0 ms, 0.999997 (gapless: priming trimmed, so the source length;
 *         ffmpeg keeps 426 samples of padding) · WebM @audio/decode-webm 71.1 ms · AIFF 2.6 ms
 * One family covers all six with the same API, and every one matched ffmpeg; speed differences are
 * tens of milliseconds per clip. AAC has no other in-process decoder on npm (libav.js does not
 * publish its AAC builds). Note: FAAD2, and so @audio/decode-aac, is GPL-2.0.
 *
 * The modules are imported lazily, so WAV-only users never compile a wasm decoder.
 */
import { UserError } from '../util/errors.ts';
import type { DecodedWav } from './wav.ts';

/** Formats this module decodes (as named by load.ts's sniffer). */
export type CompressedFormat = 'mp3' | 'm4a' | 'aac' | 'ogg' | 'opus' | 'webm' | 'aiff';

type AudioData = { channelData: Float32Array[]; sampleRate: number };
// The AIFF decoder is synchronous, the others return a Promise; awaiting covers both.
type Decode = (src: Uint8Array) => AudioData | Promise<AudioData>;

const DECODERS: Record<CompressedFormat, () => Promise<Decode>> = {
  mp3: async () => (await import('@audio/decode-mp3')).default,
  // FAAD2 reads both the MP4 container (M4A, with gapless trimming) and raw ADTS streams.
  m4a: async () => (await import('@audio/decode-aac')).default,
  aac: async () => (await import('@audio/decode-aac')).default,
  ogg: async () => (await import('@audio/decode-vorbis')).default,
  opus: async () => (await import('@audio/decode-opus')).default,
  webm: async () => (await import('@audio/decode-webm')).default,
  aiff: async () => (await import('@audio/decode-aiff')).default,
};

const LABEL: Record<CompressedFormat, string> = {
  mp3: 'MP3',
  m4a: 'M4A/AAC',
  aac: 'AAC',
  ogg: 'Ogg Vorbis',
  opus: 'Ogg Opus',
  webm: 'WebM',
  aiff: 'AIFF',
};

export function isCompressedFormat(f: string): f is CompressedFormat {
  return Object.hasOwn(DECODERS, f);
}

/**
 * What a decoder returned must be audio: at least one non-empty channel, all of one length. The
 * rate, channel count and duration limits are then checked like every format's (limits.ts, via
 * load.ts) before anything is resampled.
 */
function checkDecoded(d: AudioData, name: string, label: string): void {
  const fail = (what: string): never => {
    throw new UserError('AUDIO_DECODE_FAILED', `${name}: ${what}`);
  };
  if (!d || !Array.isArray(d.channelData) || d.channelData.length === 0 || d.channelData[0].length === 0) {
    fail(`the ${label} file holds no audio (nothing decoded); the file may be damaged or empty. Re-export it, or record the clip again.`);
  }
  if (!(d.sampleRate > 0)) fail(`the ${label} decoder reported no sample rate; the file is damaged.`);
  const n = d.channelData[0].length;
  if (d.channelData.some((c) => c.length !== n)) fail(`the ${label} decoder returned channels of different lengths; the file is damaged.`);
}

/**
 * Decode `bytes` (sniffed as `format`) in-process to per-channel float samples at the file's own
 * rate. Throws AUDIO_DECODE_FAILED (code kept so the caller can try a system tool) when the
 * decoder rejects the file or returns nothing usable. `name` is only used in messages.
 */
export async function decodeCompressed(bytes: Uint8Array, format: CompressedFormat, name: string): Promise<DecodedWav> {
  const label = LABEL[format];
  let out: AudioData;
  try {
    const decode = await DECODERS[format]();
    out = await decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UserError('AUDIO_DECODE_FAILED', `${name}: the ${label} decoder could not read this file (${why}). The file may be damaged or use a codec inside the container that is not supported; re-export it as WAV, MP3 or M4A.`);
  }
  checkDecoded(out, name, label);
  return { sampleRate: out.sampleRate, channels: out.channelData };
}
