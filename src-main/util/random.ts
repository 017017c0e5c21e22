/**
 * Small deterministic helpers shared by sampling, augmentation and random checkpoints: the same
 * seed gives the same numbers on every platform and backend (unlike Math.random).
 */

/** Seeded uniform [0, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit FNV-1a of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A seed derived from several parts (e.g. run seed, clip id, variant). */
export function seedOf(...parts: (string | number)[]): number {
  return fnv1a(parts.join('|'));
}
