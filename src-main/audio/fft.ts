/**
 * Mixed-radix FFT for the sizes a log-mel front end needs. Whisper's N_FFT = 400 is not a power
 * of two (400 = 2^4 · 5^2), so this is a Stockham auto-sort FFT over any factorisation (radix 4,
 * 2, 3, 5 butterflies written out, others generic), plus the standard trick that computes a
 * real-input FFT of even length N with one complex FFT of length N/2.
 *
 * Everything is planned once (twiddles precomputed) and runs in float64 with no allocation per
 * call, because the mel front end calls it 3000 times per 30-second clip.
 */

type Stage = { radix: number; m: number; stride: number; tw: Float64Array };

/** Factor n into radices, preferring 4, then 2, 3, 5, then any remaining primes. */
function factorize(n: number): number[] {
  const out: number[] = [];
  for (const r of [4, 2, 3, 5]) {
    while (n % r === 0) {
      out.push(r);
      n /= r;
    }
  }
  for (let p = 7; n > 1; p += 2) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  return out;
}

/** A planned complex FFT of length n: `forward(re, im)` transforms in place (e^{-2πi jk/n} kernel). */
export type ComplexFft = { n: number; forward: (re: Float64Array, im: Float64Array) => void };

export function createComplexFft(n: number): ComplexFft {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT length must be a positive integer, got ${n}`);
  const stages: Stage[] = [];
  // Stockham decimation in frequency: the stage with current length `len` splits it into `radix`
  // sub-sequences of length m = len / radix, at stride `stride` (the product of earlier radices).
  let len = n;
  let stride = 1;
  for (const radix of factorize(n)) {
    const m = len / radix;
    const tw = new Float64Array(2 * m * radix);
    for (let p = 0; p < m; p++) {
      for (let j = 0; j < radix; j++) {
        const a = (-2 * Math.PI * p * j) / len;
        tw[2 * (p * radix + j)] = Math.cos(a);
        tw[2 * (p * radix + j) + 1] = Math.sin(a);
      }
    }
    stages.push({ radix, m, stride, tw });
    len = m;
    stride *= radix;
  }
  const maxRadix = Math.max(1, ...stages.map((s) => s.radix));
  // cos/sin of 2π k / r for the generic butterfly.
  const genericRoots = new Map<number, Float64Array>();
  for (const s of stages) {
    if (s.radix > 5 && !genericRoots.has(s.radix)) {
      const w = new Float64Array(2 * s.radix);
      for (let k = 0; k < s.radix; k++) {
        w[2 * k] = Math.cos((-2 * Math.PI * k) / s.radix);
        w[2 * k + 1] = Math.sin((-2 * Math.PI * k) / s.radix);
      }
      genericRoots.set(s.radix, w);
    }
  }
  const bRe = new Float64Array(n);
  const bIm = new Float64Array(n);
  const aRe = new Float64Array(maxRadix);
  const aIm = new Float64Array(maxRadix);
  const oRe = new Float64Array(maxRadix);
  const oIm = new Float64Array(maxRadix);
  const S5a = Math.cos((2 * Math.PI) / 5);
  const S5b = Math.cos((4 * Math.PI) / 5);
  const S5c = Math.sin((2 * Math.PI) / 5);
  const S5d = Math.sin((4 * Math.PI) / 5);
  const S3 = Math.sqrt(3) / 2;

  function forward(re: Float64Array, im: Float64Array): void {
    if (re.length !== n || im.length !== n) throw new RangeError(`FFT of length ${n} given arrays of ${re.length}/${im.length}`);
    let xr: Float64Array = re;
    let xi: Float64Array = im;
    let yr: Float64Array = bRe;
    let yi: Float64Array = bIm;
    for (const { radix: r, m, stride: s, tw } of stages) {
      for (let p = 0; p < m; p++) {
        const twBase = 2 * p * r;
        for (let q = 0; q < s; q++) {
          const inBase = q + s * p;
          const sm = s * m;
          for (let k = 0; k < r; k++) {
            aRe[k] = xr[inBase + sm * k];
            aIm[k] = xi[inBase + sm * k];
          }
          // Size-r DFT of a → o.
          if (r === 2) {
            oRe[0] = aRe[0] + aRe[1];
            oIm[0] = aIm[0] + aIm[1];
            oRe[1] = aRe[0] - aRe[1];
            oIm[1] = aIm[0] - aIm[1];
          } else if (r === 4) {
            const t0r = aRe[0] + aRe[2], t0i = aIm[0] + aIm[2];
            const t1r = aRe[0] - aRe[2], t1i = aIm[0] - aIm[2];
            const t2r = aRe[1] + aRe[3], t2i = aIm[1] + aIm[3];
            const t3r = aRe[1] - aRe[3], t3i = aIm[1] - aIm[3];
            oRe[0] = t0r + t2r;
            oIm[0] = t0i + t2i;
            oRe[2] = t0r - t2r;
            oIm[2] = t0i - t2i;
            // −i·t3 for the forward transform
            oRe[1] = t1r + t3i;
            oIm[1] = t1i - t3r;
            oRe[3] = t1r - t3i;
            oIm[3] = t1i + t3r;
          } else if (r === 3) {
            const sr = aRe[1] + aRe[2], si = aIm[1] + aIm[2];
            const dr = aRe[1] - aRe[2], di = aIm[1] - aIm[2];
            oRe[0] = aRe[0] + sr;
            oIm[0] = aIm[0] + si;
            const mr = aRe[0] - 0.5 * sr, mi = aIm[0] - 0.5 * si;
            oRe[1] = mr + S3 * di;
            oIm[1] = mi - S3 * dr;
            oRe[2] = mr - S3 * di;
            oIm[2] = mi + S3 * dr;
          } else if (r === 5) {
            const s1r = aRe[1] + aRe[4], s1i = aIm[1] + aIm[4];
            const d1r = aRe[1] - aRe[4], d1i = aIm[1] - aIm[4];
            const s2r = aRe[2] + aRe[3], s2i = aIm[2] + aIm[3];
            const d2r = aRe[2] - aRe[3], d2i = aIm[2] - aIm[3];
            oRe[0] = aRe[0] + s1r + s2r;
            oIm[0] = aIm[0] + s1i + s2i;
            const c1r = aRe[0] + S5a * s1r + S5b * s2r, c1i = aIm[0] + S5a * s1i + S5b * s2i;
            const c2r = aRe[0] + S5b * s1r + S5a * s2r, c2i = aIm[0] + S5b * s1i + S5a * s2i;
            // Forward kernel: multiply the odd part by −i·sin.
            const e1r = S5c * d1i + S5d * d2i, e1i = -(S5c * d1r + S5d * d2r);
            const e2r = S5d * d1i - S5c * d2i, e2i = -(S5d * d1r - S5c * d2r);
            oRe[1] = c1r + e1r;
            oIm[1] = c1i + e1i;
            oRe[4] = c1r - e1r;
            oIm[4] = c1i - e1i;
            oRe[2] = c2r + e2r;
            oIm[2] = c2i + e2i;
            oRe[3] = c2r - e2r;
            oIm[3] = c2i - e2i;
          } else {
            const w = genericRoots.get(r)!;
            for (let j = 0; j < r; j++) {
              let sr = 0;
              let si = 0;
              for (let k = 0; k < r; k++) {
                const idx = 2 * ((j * k) % r);
                sr += aRe[k] * w[idx] - aIm[k] * w[idx + 1];
                si += aRe[k] * w[idx + 1] + aIm[k] * w[idx];
              }
              oRe[j] = sr;
              oIm[j] = si;
            }
          }
          const outBase = q + s * r * p;
          for (let j = 0; j < r; j++) {
            const wr = tw[twBase + 2 * j];
            const wi = tw[twBase + 2 * j + 1];
            yr[outBase + s * j] = oRe[j] * wr - oIm[j] * wi;
            yi[outBase + s * j] = oRe[j] * wi + oIm[j] * wr;
          }
        }
      }
      [xr, yr] = [yr, xr];
      [xi, yi] = [yi, xi];
    }
    if (xr !== re) {
      re.set(xr);
      im.set(xi);
    }
  }
  return { n, forward };
}

/**
 * A planned FFT of a real signal of even length n. `forward(x, outRe, outIm)` writes the
 * one-sided spectrum X[0..n/2] (n/2 + 1 bins) for x of length n.
 */
export type RealFft = { n: number; forward: (x: Float64Array, outRe: Float64Array, outIm: Float64Array) => void };

export function createRealFft(n: number): RealFft {
  if (!Number.isInteger(n) || n < 2 || n % 2 !== 0) throw new RangeError(`real FFT length must be even and ≥ 2, got ${n}`);
  const half = n / 2;
  const inner = createComplexFft(half);
  const zr = new Float64Array(half);
  const zi = new Float64Array(half);
  const wr = new Float64Array(half + 1);
  const wi = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    wr[k] = Math.cos((-2 * Math.PI * k) / n);
    wi[k] = Math.sin((-2 * Math.PI * k) / n);
  }
  function forward(x: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    if (x.length !== n) throw new RangeError(`real FFT of length ${n} given ${x.length} samples`);
    // Pack even samples as the real part and odd samples as the imaginary part.
    for (let k = 0; k < half; k++) {
      zr[k] = x[2 * k];
      zi[k] = x[2 * k + 1];
    }
    inner.forward(zr, zi);
    // Unpack: E[k] = (Z[k] + conj Z[half−k]) / 2 is the even samples' spectrum, O[k] =
    // (Z[k] − conj Z[half−k]) / 2i the odd samples'; X[k] = E[k] + W^k O[k].
    for (let k = 0; k <= half; k++) {
      const a = k % half;
      const b = (half - k) % half;
      const er = 0.5 * (zr[a] + zr[b]);
      const ei = 0.5 * (zi[a] - zi[b]);
      const or = 0.5 * (zi[a] + zi[b]);
      const oi = -0.5 * (zr[a] - zr[b]);
      outRe[k] = er + wr[k] * or - wi[k] * oi;
      outIm[k] = ei + wr[k] * oi + wi[k] * or;
    }
  }
  return { n, forward };
}
