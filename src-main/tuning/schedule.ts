/**
 * Learning-rate schedule, a pure function of the step (nanoGPT style):
 *  1) linear warmup from 0 to `lr` over `warmup` steps;
 *  2) then linear or cosine decay to `minLr` at `total` steps;
 *  3) constant `minLr` after that (only reached when a run is extended).
 */
export interface Schedule {
  lr: number;
  warmup: number;
  total: number;
  kind: 'linear' | 'cosine' | 'constant';
  minLr?: number;
}

export function getLr(step: number, s: Schedule): number {
  const min = s.minLr ?? 0;
  if (s.warmup > 0 && step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  if (s.kind === 'constant') return s.lr;
  if (step >= s.total) return min;
  const ratio = (step - s.warmup) / Math.max(1, s.total - s.warmup);
  const coeff = s.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * ratio)) : 1 - ratio;
  return min + coeff * (s.lr - min);
}
