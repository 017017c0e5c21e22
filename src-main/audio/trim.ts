/**
 * Energy-based voice activity for recordings made in a quiet room: where the speech starts and
 * ends, where a long recording can be cut into ≤ 30 s pieces without splitting a word, and the
 * level statistics behind the app's "clipping", "too quiet" and "too long" warnings.
 *
 * Frame energies are 30 ms windows every 10 ms. A frame is speech when it is well above the
 * recording's own noise floor (its 10th-percentile frame) and within 40 dB of its loudest frame;
 * this adapts to both digital-silence TTS clips and hissy laptop microphones without a model.
 */
import { SAMPLE_RATE } from './constants.ts';

/** A half-open sample range [start, end). */
export type Span = { start: number; end: number };

export type ClipStats = {
  /** Largest |sample|. */
  peak: number;
  /** Root mean square over the whole clip. */
  rms: number;
  /** Fraction of samples at or beyond ±0.999 (full scale for 16-bit audio is 0.99997). */
  clippedFraction: number;
  durationSec: number;
};

const FRAME_SEC = 0.03;
const HOP_SEC = 0.01;
/** Kept on both sides of detected speech so soft onsets ("h", "f") and release tails survive. */
const MARGIN_SEC = 0.15;
const FLOOR_DB = -120;

type Energies = { db: Float64Array; hop: number; frame: number };

/** Mean-square energy in dB of each 30 ms frame, every 10 ms (frame i starts at i·hop). */
function frameEnergies(x: Float32Array, rate: number): Energies {
  const hop = Math.max(1, Math.round(rate * HOP_SEC));
  const frame = Math.max(hop, Math.round(rate * FRAME_SEC));
  const n = x.length <= frame ? 1 : 1 + Math.ceil((x.length - frame) / hop);
  const db = new Float64Array(n);
  // Prefix sums of squares make each frame O(1) (float64 keeps them exact enough for hours).
  const cum = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) cum[i + 1] = cum[i] + x[i] * x[i];
  for (let f = 0; f < n; f++) {
    const a = f * hop;
    const b = Math.min(x.length, a + frame);
    const ms = b > a ? (cum[b] - cum[a]) / (b - a) : 0;
    db[f] = ms > 0 ? Math.max(FLOOR_DB, 10 * Math.log10(ms)) : FLOOR_DB;
  }
  return { db, hop, frame };
}

function speechThreshold(db: Float64Array): number {
  const sorted = Float64Array.from(db).sort();
  const peak = sorted[sorted.length - 1];
  const noise = sorted[Math.floor(sorted.length * 0.1)];
  // Above the noise floor by 10 dB, but never demand more than 20 dB below the peak (a clip with
  // no pauses has a "noise floor" that is really quiet speech), and ignore anything 40 dB under it.
  return Math.max(peak - 40, Math.min(noise + 10, peak - 20), -70);
}

/**
 * Where speech starts and ends, with a 150 ms margin, as sample indices [start, end). A click or
 * bump (a few ms) does not count as speech. Returns { start: 0, end: 0 } when nothing in the clip
 * rises above its own background.
 */
export function findSpeechBounds(samples: Float32Array, rate: number): Span {
  if (samples.length === 0) return { start: 0, end: 0 };
  const { db, hop, frame } = frameEnergies(samples, rate);
  const th = speechThreshold(db);
  // One loud sample lights up frame/hop overlapping frames, so demand two more than that in a
  // row: a click (a few ms) never qualifies, any syllable (≥ 50 ms) does.
  const minRun = Math.round(frame / hop) + 2;
  const loudRun = (f: number) => {
    for (let g = f; g < f + minRun; g++) if (g < 0 || g >= db.length || !(db[g] > th)) return false;
    return true;
  };
  let first = -1;
  for (let f = 0; f < db.length; f++) {
    if (loudRun(f)) {
      first = f;
      break;
    }
  }
  // Only isolated spikes, or nothing above -70 dBFS (digital silence): no speech.
  if (first < 0) return { start: 0, end: 0 };
  let last = first + minRun - 1;
  for (let f = db.length - minRun; f >= first; f--) {
    if (loudRun(f)) {
      last = f + minRun - 1;
      break;
    }
  }
  const margin = Math.round(rate * MARGIN_SEC);
  return {
    start: Math.max(0, first * hop - margin),
    end: Math.min(samples.length, last * hop + frame + margin),
  };
}

/**
 * Cut a long recording into consecutive spans of at most `maxSeconds`, each cut placed in the
 * middle of the quietest stretch of the second half of the allowed window (so pieces are as long
 * as possible without ending mid-word). Covers [0, length) with no gaps.
 */
export function splitAtSilences(samples: Float32Array, rate: number, maxSeconds = 30): Span[] {
  const maxLen = Math.floor(rate * maxSeconds);
  if (maxLen < 1) throw new RangeError(`splitAtSilences: maxSeconds ${maxSeconds} is shorter than one sample`);
  if (samples.length <= maxLen) return [{ start: 0, end: samples.length }];
  const { db, hop, frame } = frameEnergies(samples, rate);
  const centre = (f: number) => f * hop + (frame >> 1);
  const spans: Span[] = [];
  let pos = 0;
  while (samples.length - pos > maxLen) {
    const lo = pos + Math.floor(maxLen / 2);
    const hi = pos + maxLen;
    const fLo = Math.max(0, Math.ceil((lo - (frame >> 1)) / hop));
    const fHi = Math.min(db.length - 1, Math.floor((hi - (frame >> 1)) / hop));
    let cut = hi;
    if (fLo <= fHi) {
      let min = Infinity;
      for (let f = fLo; f <= fHi; f++) min = Math.min(min, db[f]);
      // Among frames within 1 dB of the quietest, take the longest run (latest on ties) and cut at
      // its middle: the centre of a pause is the safest place to split.
      let best = { len: 0, mid: fHi };
      for (let f = fLo; f <= fHi; ) {
        if (db[f] > min + 1) {
          f++;
          continue;
        }
        let g = f;
        while (g + 1 <= fHi && db[g + 1] <= min + 1) g++;
        if (g - f + 1 >= best.len) best = { len: g - f + 1, mid: (f + g) >> 1 };
        f = g + 1;
      }
      cut = Math.min(hi, Math.max(pos + 1, centre(best.mid)));
    }
    spans.push({ start: pos, end: cut });
    pos = cut;
  }
  spans.push({ start: pos, end: samples.length });
  return spans;
}

/** Level statistics of a clip; `rate` only sets durationSec. All zeros for an empty clip. */
export function clipStats(samples: Float32Array, rate = SAMPLE_RATE): ClipStats {
  const n = samples.length;
  if (n === 0) return { peak: 0, rms: 0, clippedFraction: 0, durationSec: 0 };
  let peak = 0;
  let sq = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(samples[i]);
    if (a > peak) peak = a;
    if (a >= 0.999) clipped++;
    sq += a * a;
  }
  return { peak, rms: Math.sqrt(sq / n), clippedFraction: clipped / n, durationSec: n / rate };
}
