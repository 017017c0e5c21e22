/**
 * Access to the upstream golden fixtures in ../shared/reference (beside the repo in development and
 * CI; absent in a user's fresh clone, where the conformance tests skip with this message).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = resolve(REPO_ROOT, '../shared');
export const REFERENCE = join(SHARED, 'reference');
export const HAS_REFERENCE = existsSync(join(REFERENCE, 'README.md'));
/** Use as a test's `skip` option. */
export const NEEDS_REFERENCE: string | false = HAS_REFERENCE ? false : 'needs ../shared/reference (the upstream golden fixtures; not in a fresh clone)';

export const MICRO_F32 = join(REFERENCE, 'models/whisper-micro-en');
export const MICRO_F16 = join(REFERENCE, 'models/whisper-micro-en-f16');
export const JFK_WAV = join(REFERENCE, 'audio/jfk-16k.wav');
export const JFK_TEXT = ' And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** golden.json marks non-compared gradient norms as Infinity, which JSON.parse rejects. */
export function readGolden(model: 'whisper-micro-en' | 'whisper-micro-en-f16', file = 'golden.json'): any {
  const text = readFileSync(join(REFERENCE, 'golden', model, file), 'utf8');
  return JSON.parse(text.replace(/:\s*(-?)Infinity\b/g, (_m, s) => `: "${s}Infinity"`));
}

export function goldenPath(model: string, file: string): string {
  return join(REFERENCE, 'golden', model, file);
}

/** max |a − b| and max |b| (the scale the tolerances are relative to). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}
