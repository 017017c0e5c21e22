/**
 * @file Job: turn audio a client sent into 16 kHz mono samples — a dropped file (`clips.import`:
 * decode, downmix, resample) or a recorded take at the microphone's rate (`clips.save`:
 * resample). It runs in its own process with a memory cap (decode-client.ts starts it) so that
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
import type { JobContext } from './protocol.ts';

export type DecodeJobParams = { bytes: Uint8Array; name: string } | { pcm: Float32Array; sampleRate: number; name: string };

export async function run(p: DecodeJobParams, _ctx: JobContext): Promise<Float32Array> {
  if ('pcm' in p) return resample(p.pcm, p.sampleRate, SAMPLE_RATE);
  return decodeAudioBytes(p.bytes, p.name, { maxSeconds: AUDIO_LIMITS.clipSeconds });
}
