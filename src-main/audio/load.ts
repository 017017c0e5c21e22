/**
 * One entry point for "give me this recording as Whisper input": any supported file → 16 kHz
 * mono Float32Array (samples nominally in [-1, 1]). The format is sniffed from the bytes, not the
 * file name, because users rename files. WAV and FLAC are decoded by our own code, MP3, M4A/AAC,
 * Ogg Vorbis/Opus, WebM and AIFF by WebAssembly decoders (compressed.ts), all in-process; sox or
 * ffmpeg, when installed, are only a fallback for files those cannot read (external-decoder.ts).
 */
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { readRegularFile } from '../util/user-files.ts';
import { checkAudioHeader, type AudioLimitOptions } from './limits.ts';
import { SAMPLE_RATE } from './constants.ts';
import { decodeCompressed, isCompressedFormat } from './compressed.ts';
import { decodeWithTool, pickTool } from './external-decoder.ts';
import { decodeFlac } from './flac.ts';
import { downmix, resample } from './resample.ts';
import { decodeWav, type DecodedWav } from './wav.ts';

export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'ogg' | 'opus' | 'm4a' | 'aac' | 'webm' | 'aiff' | 'unknown';

function ascii(b: Uint8Array, at: number, len: number): string {
  return String.fromCharCode(...b.subarray(at, at + len));
}

/** Identify a container from its first bytes (magic numbers). */
export function sniffFormat(b: Uint8Array): AudioFormat {
  if (b.length < 4) return 'unknown';
  const head = ascii(b, 0, 4);
  if ((head === 'RIFF' || head === 'RIFX' || head === 'RF64') && ascii(b, 8, 4) === 'WAVE') return 'wav';
  if (head === 'fLaC') return 'flac';
  // Ogg Opus (what browsers record) needs ffmpeg; sox's "ogg" reader is Vorbis only.
  if (head === 'OggS') return ascii(b, 28, 8) === 'OpusHead' ? 'opus' : 'ogg';
  if (head === 'FORM' && (ascii(b, 8, 4) === 'AIFF' || ascii(b, 8, 4) === 'AIFC')) return 'aiff';
  if (ascii(b, 4, 4) === 'ftyp') return 'm4a';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  if (ascii(b, 0, 3) === 'ID3' && b.length >= 10) {
    // An ID3v2 tag (size is 4 × 7-bit "syncsafe" bytes) usually precedes MP3, sometimes FLAC.
    const size = ((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f);
    const after = 10 + size + (b[5] & 0x10 ? 10 : 0);
    return ascii(b, after, 4) === 'fLaC' ? 'flac' : 'mp3';
  }
  if (b[0] === 0xff && (b[1] & 0xe0) === 0xe0) {
    // MPEG frame sync: layer bits 00 mean AAC in an ADTS stream, anything else MPEG audio.
    return ((b[1] >> 1) & 3) === 0 ? 'aac' : 'mp3';
  }
  return 'unknown';
}

/**
 * Turn decoded audio into Whisper input: mono by averaging, then resampled to 16 kHz. Formats
 * whose header we do not parse ourselves (compressed, tool-decoded) are held to the same limits
 * here, after decoding (in a job process when a client sent them).
 */
function toWhisperInput({ sampleRate, channels }: DecodedWav, name: string, opts: AudioLimitOptions): Float32Array {
  checkAudioHeader({ sampleRate, channels: channels.length, bitsPerSample: 32, frames: channels[0]?.length ?? 0 }, name, opts);
  const mono = downmix(channels);
  return sampleRate === SAMPLE_RATE ? mono : resample(mono, sampleRate, SAMPLE_RATE);
}

/**
 * Decode the bytes of an audio file to 16 kHz mono float samples. `name` (the file name) is used
 * in error messages. Errors: AUDIO_DECODE_FAILED (damaged or unsupported content),
 * AUDIO_FORMAT_UNSUPPORTED (unrecognised, or compressed with no decoder tool installed).
 */
export async function decodeAudioBytes(bytes: Uint8Array, name: string, opts: AudioLimitOptions = {}): Promise<Float32Array> {
  const format = sniffFormat(bytes);
  // WAV and FLAC check their headers (rate, channels, bits, duration) before decoding a sample.
  if (format === 'wav') return toWhisperInput(decodeWav(bytes, name, opts), name, opts);
  if (format === 'flac') return toWhisperInput(decodeFlac(bytes, name, opts), name, opts);
  if (format === 'unknown') {
    const what = bytes.length === 0 ? 'the file is empty' : 'it is not a recognised audio file (WAV, FLAC, MP3, Ogg, Opus, M4A/AAC, WebM, AIFF)';
    throw new UserError('AUDIO_FORMAT_UNSUPPORTED', `${name}: ${what}. Record or export the clip as WAV.`);
  }
  if (isCompressedFormat(format)) {
    try {
      return toWhisperInput(await decodeCompressed(bytes, format, name), name, opts);
    } catch (e) {
      // A container the wasm decoders do not cover (e.g. Speex in Ogg): a system tool may still
      // read it. Without one, the in-process decoder's error is the one to show.
      if (!pickTool(format)) throw e;
    }
  }
  return toWhisperInput(decodeWav(await decodeWithTool(bytes, format, name), name, opts), name, opts);
}

/**
 * Read and decode an audio file to 16 kHz mono float samples (see decodeAudioBytes). Adds
 * AUDIO_NOT_FOUND (missing path or a folder), AUDIO_UNREADABLE (e.g. permissions) and
 * NOT_A_REGULAR_FILE (a FIFO, device or socket: never read, so it cannot hang or stream forever).
 */
export async function loadAudio(file: string, opts: AudioLimitOptions = {}): Promise<Float32Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readRegularFile(file, { what: 'audio file', missingCode: 'AUDIO_NOT_FOUND' }));
  } catch (e) {
    const st = (e as { code?: string }).code;
    if (st === 'AUDIO_NOT_FOUND' || st === 'NOT_A_REGULAR_FILE') {
      // A folder is the common mistake; say it in the words the CLI has always used.
      if (st === 'NOT_A_REGULAR_FILE' && /is a folder/.test((e as Error).message)) throw new UserError('AUDIO_NOT_FOUND', `${file} is a folder, not an audio file.`);
      throw e;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new UserError('AUDIO_NOT_FOUND', `${file} is a folder, not an audio file.`);
    throw new UserError('AUDIO_UNREADABLE', `${file}: cannot read the file (${code ?? String(e)}); check its permissions.`);
  }
  return decodeAudioBytes(bytes, path.basename(file), opts);
}
