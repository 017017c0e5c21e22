/**
 * @file The in-process gate for audio a client sends as a clip: sniff the format and, for WAV and
 * FLAC, parse and check the header only (rate, channels, bits, duration ≤ 30 s) — microseconds,
 * whatever the file claims. Decoding happens afterwards in a job process (jobs/decode-job.ts);
 * compressed formats, whose length needs decoding to know, are checked there.
 */
import { UserError } from '../util/errors.ts';
import { parseFlacHeader } from './flac.ts';
import { AUDIO_LIMITS, type AudioHeader } from './limits.ts';
import { sniffFormat, type AudioFormat } from './load.ts';
import { parseWavHeader } from './wav.ts';

/** Throws the AUDIO_* error a clip's header earns; returns the format and header when known. */
export function checkClipHeader(bytes: Uint8Array, name: string): { format: AudioFormat; header: AudioHeader | null } {
  const opts = { maxSeconds: AUDIO_LIMITS.clipSeconds };
  const format = sniffFormat(bytes);
  if (format === 'wav') return { format, header: parseWavHeader(bytes, name, opts).header };
  if (format === 'flac') return { format, header: parseFlacHeader(bytes, name, opts).header };
  if (format === 'unknown') {
    const what = bytes.length === 0 ? 'the file is empty' : 'it is not a recognised audio file (WAV, FLAC, MP3, Ogg, Opus, M4A/AAC, WebM, AIFF)';
    throw new UserError('AUDIO_FORMAT_UNSUPPORTED', `${name}: ${what}. Record or export the clip as WAV.`);
  }
  return { format, header: null };
}
