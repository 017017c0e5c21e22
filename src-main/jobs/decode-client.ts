/**
 * @file The serving side of the decode job (decode-job.ts runs in the job process): start it with
 * a memory cap and hand back its samples, or its error as a UserError. Apart from the job module
 * so that the job table (contract.ts) can read the module's types without a loop through host.ts.
 */
import { UserError } from '../util/errors.ts';
import type { JobHost } from './host.ts';
import type { DecodeJobParams } from './decode-job.ts';

/** Resident-size cap of a decode process: 30 s at 384 kHz × 8 channels as float is 369 MB. */
export const DECODE_MEMORY_MB = 1024;

/** Runs the decode job (quiet: no events for the renderer) and returns its samples or throws its error. */
export async function decodeClientAudio(jobs: JobHost, params: DecodeJobParams): Promise<Float32Array> {
  const o = await jobs.wait(jobs.start('decode', params, { quiet: true, memoryMb: DECODE_MEMORY_MB }));
  if (o.status === 'done') return o.result;
  throw new UserError(o.error?.code ?? 'CANCELLED', o.error?.message ?? `Decoding ${params.name} was cancelled.`);
}
