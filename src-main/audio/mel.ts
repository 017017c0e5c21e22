/**
 * Whisper's log-mel front end, step for step as openai/whisper `audio.py`
 * `log_mel_spectrogram` (see docs: whisper-spec §1):
 *   periodic Hann(400) → reflect-pad 200 each side → STFT hop 160 → |X|² → drop last frame →
 *   Slaney mel filters → log10(max(x, 1e-10)) → max(x, global max − 8) → (x + 4) / 4.
 * Arithmetic is float64 (the reference is float32 torch; they agree to 1.3e-5 on the jfk clip).
 */
import { HOP_LENGTH, N_FFT, N_FRAMES, N_FREQS, N_SAMPLES, SAMPLE_RATE } from './constants.ts';
import { createRealFft } from './fft.ts';

/** A log-mel spectrogram, `data` is [nMels, nFrames] row-major (Whisper's (n_mels, frames) layout). */
export type LogMel = { data: Float32Array; nMels: number; nFrames: number };

// Slaney mel scale (librosa htk=False): linear below 1 kHz, logarithmic above.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP; // 15
const LOG_STEP = Math.log(6.4) / 27;

function hzToMel(f: number): number {
  return f < MIN_LOG_HZ ? f / F_SP : MIN_LOG_MEL + Math.log(f / MIN_LOG_HZ) / LOG_STEP;
}
function melToHz(m: number): number {
  return m < MIN_LOG_MEL ? m * F_SP : MIN_LOG_HZ * Math.exp(LOG_STEP * (m - MIN_LOG_MEL));
}

function computeMelFilters(nMels: number): Float32Array {
  // librosa.filters.mel(sr=16000, n_fft=400, n_mels, fmin=0, fmax=8000, norm='slaney'), which is
  // what produced whisper's assets/mel_filters.npz.
  const fftFreqs = Float64Array.from({ length: N_FREQS }, (_, i) => (i * SAMPLE_RATE) / N_FFT);
  const melMax = hzToMel(SAMPLE_RATE / 2);
  const melF = Float64Array.from({ length: nMels + 2 }, (_, i) => melToHz((melMax * i) / (nMels + 1)));
  const out = new Float32Array(nMels * N_FREQS);
  for (let m = 0; m < nMels; m++) {
    const lowDiff = melF[m + 1] - melF[m];
    const highDiff = melF[m + 2] - melF[m + 1];
    const enorm = 2 / (melF[m + 2] - melF[m]); // Slaney area normalisation
    for (let k = 0; k < N_FREQS; k++) {
      const lower = (fftFreqs[k] - melF[m]) / lowDiff;
      const upper = (melF[m + 2] - fftFreqs[k]) / highDiff;
      out[m * N_FREQS + k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
  }
  return out;
}

const filterCache = new Map<number, Float32Array>();

/** Whisper's mel filterbank, [nMels, 201] row-major, computed from the Slaney formula. */
export function melFilters(nMels: 80 | 128): Float32Array {
  if (nMels !== 80 && nMels !== 128) throw new RangeError(`Whisper uses 80 or 128 mel bins, got ${nMels}`);
  let f = filterCache.get(nMels);
  if (!f) {
    f = computeMelFilters(nMels);
    filterCache.set(nMels, f);
  }
  return f.slice(); // callers may mutate their copy
}

/** The non-zero span of each filter row, so the filter product touches ~2 bins per mel, not 201. */
type SparseFilters = { nMels: number; lo: Int32Array; hi: Int32Array; w: Float64Array };
const sparseCache = new Map<number, SparseFilters>();

function sparseFilters(nMels: number): SparseFilters {
  let s = sparseCache.get(nMels);
  if (s) return s;
  const dense = melFilters(nMels as 80 | 128);
  const lo = new Int32Array(nMels);
  const hi = new Int32Array(nMels);
  for (let m = 0; m < nMels; m++) {
    let a = 0;
    while (a < N_FREQS && dense[m * N_FREQS + a] === 0) a++;
    let b = N_FREQS;
    while (b > a && dense[m * N_FREQS + b - 1] === 0) b--;
    lo[m] = a;
    hi[m] = b;
  }
  // Keep the float32 weights (as the reference does) but accumulate in float64.
  s = { nMels, lo, hi, w: Float64Array.from(dense) };
  sparseCache.set(nMels, s);
  return s;
}

let hann: Float64Array | null = null;
/** torch.hann_window(400) default is periodic: 0.5 − 0.5·cos(2πn/N), n = 0…N−1. */
function hannWindow(): Float64Array {
  if (!hann) hann = Float64Array.from({ length: N_FFT }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N_FFT));
  return hann;
}

/** Index into x as torch/numpy 'reflect' padding would (mirror without repeating the edge). */
function reflectIndex(i: number, len: number): number {
  if (len === 1) return 0;
  const period = 2 * (len - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < len ? j : period - j;
}

/**
 * Log-mel spectrogram exactly as whisper's `log_mel_spectrogram(audio, n_mels, padding)`:
 * `padding` zero samples are appended first; the result has floor((len + padding) / 160) frames.
 * The max − 8 dynamic-range clamp is over the whole result. Input must be 16 kHz mono.
 * Shape: samples [T] → data [nMels, floor((T + padding) / 160)].
 */
export function logMelSpectrogram(samples: Float32Array, nMels: number, padding = 0): LogMel {
  if (nMels !== 80 && nMels !== 128) throw new RangeError(`Whisper uses 80 or 128 mel bins, got ${nMels}`);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`padding must be a non-negative integer, got ${padding}`);
  // Local copies: under tsx, imported bindings are getter calls, which dominate a hot loop.
  const nFft = N_FFT;
  const nFreqs = N_FREQS;
  const hop = HOP_LENGTH;
  const len = samples.length + padding;
  const at = (i: number) => (i < samples.length ? samples[i] : 0);
  // center=True gives 1 + floor(len / hop) frames; whisper drops the last one.
  const nFrames = Math.floor(len / hop);
  const data = new Float32Array(nMels * nFrames);
  if (nFrames === 0) return { data, nMels, nFrames };

  const { lo, hi, w } = sparseFilters(nMels);
  const window = hannWindow();
  const fft = createRealFft(nFft);
  const frame = new Float64Array(nFft);
  const re = new Float64Array(nFreqs);
  const im = new Float64Array(nFreqs);
  const power = new Float64Array(nFreqs);
  const half = nFft / 2;
  let max = -Infinity;
  for (let t = 0; t < nFrames; t++) {
    const start = t * hop - half; // in unpadded coordinates
    if (start >= 0 && start + nFft <= samples.length) {
      for (let n = 0; n < nFft; n++) frame[n] = samples[start + n] * window[n];
    } else {
      for (let n = 0; n < nFft; n++) frame[n] = at(reflectIndex(start + n, len)) * window[n];
    }
    fft.forward(frame, re, im);
    for (let k = 0; k < nFreqs; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    for (let m = 0; m < nMels; m++) {
      let acc = 0;
      const row = m * nFreqs;
      for (let k = lo[m]; k < hi[m]; k++) acc += w[row + k] * power[k];
      const v = Math.log10(acc > 1e-10 ? acc : 1e-10);
      data[m * nFrames + t] = v;
      if (v > max) max = v;
    }
  }
  const floor = max - 8;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] > floor ? data[i] : floor;
    data[i] = (v + 4) / 4;
  }
  return { data, nMels, nFrames };
}

/** Right-pad with zeros or truncate to `length` samples (whisper `pad_or_trim`). Always a new array. */
export function padOrTrim(samples: Float32Array, length = N_SAMPLES): Float32Array {
  if (samples.length >= length) return samples.slice(0, length);
  const out = new Float32Array(length);
  out.set(samples);
  return out;
}

/**
 * Pad (with 0.0 in the normalised log-mel domain, as whisper's transcribe.py does for a short last
 * segment) or truncate a log-mel to `nFrames` frames.
 */
export function padOrTrimMel(mel: LogMel, nFrames = N_FRAMES): LogMel {
  const data = new Float32Array(mel.nMels * nFrames);
  const keep = Math.min(nFrames, mel.nFrames);
  for (let m = 0; m < mel.nMels; m++) {
    data.set(mel.data.subarray(m * mel.nFrames, m * mel.nFrames + keep), m * nFrames);
  }
  return { data, nMels: mel.nMels, nFrames };
}
