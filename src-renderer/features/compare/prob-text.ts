/**
 * @file A probability as a percentage that stays readable when it is tiny: an untuned model can
 * give a term's token 0.0009 %, and "0.0%" would hide the change tuning makes to it.
 */
export function probText(p: number): string {
  const v = p * 100;
  if (!Number.isFinite(v)) return '—';
  if (v >= 0.1) return `${v.toFixed(1)}%`;
  if (v === 0) return '0%';
  return `${v.toPrecision(2)}%`;
}
