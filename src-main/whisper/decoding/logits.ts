/**
 * Host-side logit arithmetic for one decoding step. The model returns logits [B, V] for the last
 * position; filtering, log-softmax and selection run on plain Float32Arrays (V ≈ 52k, so a step
 * costs well under a millisecond on the host, and no per-step tensors are left to own).
 */

/** log_softmax of one row, in float64 for the normaliser as torch does in float32 ± rounding. */
export function logSoftmax(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) if (row[i] !== -Infinity) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float32Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = row[i] - lse;
  return out;
}

export function softmaxAt(row: Float32Array, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return Math.exp(row[index] - max) / sum;
}

/** Index of the largest value; ties go to the lowest index (torch.argmax). */
export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** The k largest entries, descending: [{ index, value }]. */
export function topK(row: Float32Array, k: number): { index: number; value: number }[] {
  const out: { index: number; value: number }[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (out.length < k) {
      out.push({ index: i, value: v });
      out.sort((a, b) => b.value - a.value || a.index - b.index);
    } else if (v > out[k - 1].value) {
      out[k - 1] = { index: i, value: v };
      out.sort((a, b) => b.value - a.value || a.index - b.index);
    }
  }
  return out;
}

/** Top-1 minus top-2 value (how close a greedy choice was). */
export function margin(row: Float32Array): number {
  const [a, b] = topK(row, 2);
  return a.value - (b?.value ?? -Infinity);
}

/** A logit filter mutates one row in place (upstream LogitFilter.apply). */
export type LogitFilter = (row: Float32Array, tokens: readonly number[]) => void;

/** Suppress " " and EOT at the first sampled position only (upstream SuppressBlank). */
export function suppressBlank(blankIds: number[], eot: number, sampleBegin: number): LogitFilter {
  return (row, tokens) => {
    if (tokens.length !== sampleBegin) return;
    for (const id of blankIds) row[id] = -Infinity;
    row[eot] = -Infinity;
  };
}

/** Suppress a fixed list at every step (upstream SuppressTokens). */
export function suppressTokens(ids: readonly number[]): LogitFilter {
  return (row) => {
    for (const id of ids) if (id < row.length) row[id] = -Infinity;
  };
}

/**
 * Upstream ApplyTimestampRules (decoding.py), for decoding WITH timestamps:
 *  1. <|notimestamps|> is never sampled;
 *  2. timestamps come in pairs (except right before EOT): after a lone timestamp no text token,
 *     after a pair (or at the start) no timestamp;
 *  3. timestamps never decrease, and a segment must have non-zero length;
 *  4. the first sampled token is a timestamp no later than `maxInitialIndex` (1 s = 50 steps);
 *  5. when the timestamps together are likelier than any single text token, sample a timestamp.
 */
export function timestampRules(t: { timestampBegin: number; eot: number; noTimestamps: number }, sampleBegin: number, maxInitialIndex: number | null = 50): LogitFilter {
  const tb = t.timestampBegin;
  return (row, tokens) => {
    row[t.noTimestamps] = -Infinity;
    const seq = tokens.slice(sampleBegin);
    const last = seq.length >= 1 && seq[seq.length - 1] >= tb;
    const penultimate = seq.length < 2 || seq[seq.length - 2] >= tb;
    if (last) {
      if (penultimate) row.fill(-Infinity, tb);
      else row.fill(-Infinity, 0, t.eot);
    }
    const stamps = seq.filter((x) => x >= tb);
    if (stamps.length > 0) {
      const lastStamp = stamps[stamps.length - 1];
      const upTo = last && !penultimate ? lastStamp : lastStamp + 1;
      row.fill(-Infinity, tb, upTo);
    }
    if (tokens.length === sampleBegin) {
      row.fill(-Infinity, 0, tb);
      if (maxInitialIndex !== null) row.fill(-Infinity, tb + maxInitialIndex + 1);
    }
    const lp = logSoftmax(row);
    let maxText = -Infinity;
    for (let i = 0; i < tb; i++) if (lp[i] > maxText) maxText = lp[i];
    let m = -Infinity;
    for (let i = tb; i < lp.length; i++) if (lp[i] > m) m = lp[i];
    let sum = 0;
    if (m > -Infinity) for (let i = tb; i < lp.length; i++) sum += Math.exp(lp[i] - m);
    const stampLogprob = m + Math.log(sum);
    if (stampLogprob > maxText) row.fill(-Infinity, 0, tb);
  };
}

/** Sample from softmax(row / temperature). */
export function sample(row: Float32Array, temperature: number, random: () => number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  const p = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    p[i] = row[i] === -Infinity ? 0 : Math.exp((row[i] - max) / temperature);
    sum += p[i];
  }
  let r = random() * sum;
  for (let i = 0; i < row.length; i++) {
    r -= p[i];
    if (r <= 0 && p[i] > 0) return i;
  }
  return argmax(row);
}
