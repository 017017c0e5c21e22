/**
 * @file Job: turn audio a client sent into 16 kHz mono samples — a dropped file (`clips.import`:
 * decode, downmix, resample) or a recorded take at the microphone's rate (`clips.save`:
 * resample). It runs in its own process with a memory cap (see `decodeClientAudio`) so that
 * whatever the bytes hold — a decode bomb the header checks cannot see, a wasm decoder that
 * misbehaves, a 30 s take at 192 kHz that takes the resampler most of a second — costs that
 * process, never the one serving the window or the WebSocket.
 *
 *   params: { bytes, name } | { pcm, sampleRate, name }    result: Float32Array (16 kHz mono, ≤ 30 s)
 */
import { decodeAudioBytes } from '../audio/load.ts';
import { AUDIO_LIMITS } from '../audio/limits.ts';
import { SAMPLE_RATE } from '../audio/constants.ts';
import { resample } from '../audio/resample.ts';
import { UserError } from '../util/errors.ts';
import type { JobHost } from './host.ts';
import type { JobContext } from './protocol.ts';

export type DecodeJobParams = { bytes: Uint8Array; name: string } | { pcm: Float32Array; sampleRate: number; name: string };

/** Resident-size cap of a decode process: 30 s at 384 kHz × 8 channels as float is 369 MB. */
export const DECODE_MEMORY_MB = 1024;

export async function run(p: DecodeJobParams, _ctx: JobContext): Promise<Float32Array> {
  if ('pcm' in p) return resample(p.pcm, p.sampleRate, SAMPLE_RATE);
  return decodeAudioBytes(p.bytes, p.name, { maxSeconds: AUDIO_LIMITS.clipSeconds });
}

/** Runs the decode job (quiet: no events for the renderer) and returns its samples or throws its error. */
export async function decodeClientAudio(jobs: JobHost, params: DecodeJobParams): Promise<Float32Array> {
  const o = await jobs.wait(jobs.start('decode', params, { quiet: true, memoryMb: DECODE_MEMORY_MB }));
  if (o.status === 'done') return o.result;
  throw new UserError(o.error?.code ?? 'CANCELLED', o.error?.message ?? `Decoding ${params.name} was cancelled.`);
}
