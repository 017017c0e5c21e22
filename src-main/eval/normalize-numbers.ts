/**
 * Whisper's `EnglishNumberNormalizer` (openai/whisper `whisper/normalizers/english.py`),
 * reimplemented: spelled-out numbers → digits ("two point five million" → "2500000"), ordinals
 * and plurals keep their suffix ("thirty first" → "31st", "nineteen fifties" → "1950s"),
 * currencies move in front ("200 thousand dollars" → "$200000"), "percent" → "%", "double"/
 * "triple" repeat digits, successive single digits read as a string ("nine one one" → "911").
 *
 * The state machine mirrors upstream step for step, including its quirks, because the point is
 * WER numbers comparable with every published Whisper result. Upstream's Python ints are
 * unbounded (multipliers go to 10^33), so integers are `bigint` here; strings stay strings
 * (upstream builds "007", "3.", "2.25" as str and decides by `isinstance`).
 */
import { PY_W, PY_WS, pySplit } from './normalize-basic.ts';

/** A pending number: an integer, or a digit string that must not be reinterpreted. */
type Value = bigint | string | null;

const ONES_NAMES = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven',
  'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];

const ZEROS = new Set(['o', 'oh', 'zero']);
const ONES = new Map<string, number>(ONES_NAMES.map((n, i) => [n, i + 1]));
const ONES_SUFFIXED = new Map<string, [number, string]>();
for (const [name, v] of ONES) ONES_SUFFIXED.set(name === 'six' ? 'sixes' : `${name}s`, [v, 's']);
for (const [name, v] of [['zeroth', 0], ['first', 1], ['second', 2], ['third', 3], ['fifth', 5], ['twelfth', 12]] as const) {
  ONES_SUFFIXED.set(name, [v, name === 'first' ? 'st' : name === 'second' ? 'nd' : name === 'third' ? 'rd' : 'th']);
}
for (const [name, v] of ONES) {
  if (v > 3 && v !== 5 && v !== 12) ONES_SUFFIXED.set(name + (name.endsWith('t') ? 'h' : 'th'), [v, 'th']);
}

const TENS = new Map<string, number>([
  ['twenty', 20], ['thirty', 30], ['forty', 40], ['fifty', 50], ['sixty', 60], ['seventy', 70], ['eighty', 80], ['ninety', 90],
]);
const TENS_SUFFIXED = new Map<string, [number, string]>();
for (const [name, v] of TENS) TENS_SUFFIXED.set(name.replace('y', 'ies'), [v, 's']);
for (const [name, v] of TENS) TENS_SUFFIXED.set(name.replace('y', 'ieth'), [v, 'th']);

const MULTIPLIER_NAMES = ['hundred', 'thousand', 'million', 'billion', 'trillion', 'quadrillion', 'quintillion',
  'sextillion', 'septillion', 'octillion', 'nonillion', 'decillion'];
const MULTIPLIERS = new Map<string, bigint>(MULTIPLIER_NAMES.map((n, i) => [n, i === 0 ? 100n : 1000n ** BigInt(i)]));
const MULTIPLIERS_SUFFIXED = new Map<string, [bigint, string]>();
for (const [name, v] of MULTIPLIERS) MULTIPLIERS_SUFFIXED.set(`${name}s`, [v, 's']);
for (const [name, v] of MULTIPLIERS) MULTIPLIERS_SUFFIXED.set(`${name}th`, [v, 'th']);

const DECIMALS = new Set([...ONES.keys(), ...TENS.keys(), ...ZEROS]);
const PRECEDING_PREFIXERS = new Map([['minus', '-'], ['negative', '-'], ['plus', '+'], ['positive', '+']]);
const FOLLOWING_PREFIXERS = new Map([
  ['pound', '£'], ['pounds', '£'], ['euro', '€'], ['euros', '€'], ['dollar', '$'], ['dollars', '$'], ['cent', '¢'], ['cents', '¢'],
]);
const PREFIXES = new Set([...PRECEDING_PREFIXERS.values(), ...FOLLOWING_PREFIXERS.values()]);
/** "per" only becomes "%" when followed by "cent"; "percent" always does. */
const SUFFIXERS = new Map<string, string | Map<string, string>>([['per', new Map([['cent', '%']])], ['percent', '%']]);
const SPECIALS = new Set(['and', 'double', 'triple', 'point']);

const WORDS = new Set<string>([
  ...ZEROS, ...ONES.keys(), ...ONES_SUFFIXED.keys(), ...TENS.keys(), ...TENS_SUFFIXED.keys(), ...MULTIPLIERS.keys(),
  ...MULTIPLIERS_SUFFIXED.keys(), ...PRECEDING_PREFIXERS.keys(), ...FOLLOWING_PREFIXERS.keys(), ...SUFFIXERS.keys(), ...SPECIALS,
]);

// Python `\d` on str is any Unicode decimal digit; `\p{Nd}` is the same set.
const NUMERIC = /^\p{Nd}+(\.\p{Nd}+)?$/u;

/** Exact rational from a decimal string, like Python `Fraction(s)`; null where that raises. */
function toFraction(s: string | bigint): { num: bigint; den: bigint } | null {
  if (typeof s === 'bigint') return { num: s, den: 1n };
  const m = /^[+-]?(?=\p{Nd}|\.\p{Nd})(\p{Nd}*)(?:\.(\p{Nd}*))?$/u.exec(s.trim());
  if (!m) return null;
  const intPart = asciiDigits(m[1]);
  const frac = asciiDigits(m[2] ?? '');
  const sign = s.trim().startsWith('-') ? -1n : 1n;
  return { num: sign * BigInt(intPart + frac || '0'), den: 10n ** BigInt(frac.length) };
}

/** Python's int() accepts any Unicode decimal digit; BigInt() only ASCII. */
function asciiDigits(s: string): string {
  return s.replace(/\p{Nd}/gu, (d) => {
    // Unicode lays decimal digits out in runs of ten starting at zero, and some runs touch
    // (the mathematical digits), so walk back to the run's start and take the offset mod 10.
    const cp = d.codePointAt(0)!;
    let start = cp;
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    return String((cp - start) % 10);
  });
}

/** `Fraction(value) * multiplier` if it is an integer, else null. */
function scaled(value: string | bigint, multiplier: bigint): bigint | null {
  const f = toFraction(value);
  if (!f) return null;
  const p = f.num * multiplier;
  return p % f.den === 0n ? p / f.den : null;
}

/** Python `str(value or "")`: 0 and "" are falsy there, so "zero" after 0 gives "0", not "00". */
function pyOrEmpty(v: Value): string {
  return v === null || v === 0n || v === '' ? '' : String(v);
}

function isNumeric(w: string | null): boolean {
  return w !== null && NUMERIC.test(w);
}

/** Upstream `process_words`: the state machine over whitespace-split words. */
export function processNumberWords(words: string[]): string[] {
  const out: string[] = [];
  let prefix: string | null = null;
  let value: Value = null;
  let skip = false;

  // Emits a result with the pending prefix and clears both, like upstream's `output`.
  const output = (result: string | bigint): string => {
    let r = String(result);
    if (prefix !== null) r = prefix + r;
    value = null;
    prefix = null;
    return r;
  };
  const inOnes = (w: string | null) => w !== null && ONES.has(w);
  const inTens = (w: string | null) => w !== null && TENS.has(w);

  for (let i = 0; i < words.length; i++) {
    const prev = i > 0 ? words[i - 1] : null;
    const current = words[i];
    const next = i + 1 < words.length ? words[i + 1] : null;
    if (skip) {
      skip = false;
      continue;
    }
    const nextIsNumeric = isNumeric(next);
    const first = String.fromCodePoint(current.codePointAt(0)!);
    const hasPrefix = PREFIXES.has(first);
    const currentWithoutPrefix = hasPrefix ? current.slice(first.length) : current;

    if (NUMERIC.test(currentWithoutPrefix)) {
      // arabic numbers (potentially with signs and fractions)
      const f = toFraction(currentWithoutPrefix)!;
      if (value !== null) {
        if (typeof value === 'string' && value.endsWith('.')) {
          // concatenate decimals / ip address components
          value = value + current;
          continue;
        }
        out.push(output(value));
      }
      prefix = hasPrefix ? first : prefix;
      value = f.den === 1n ? f.num : currentWithoutPrefix;
    } else if (!WORDS.has(current)) {
      if (value !== null) out.push(output(value));
      out.push(output(current));
    } else if (ZEROS.has(current)) {
      value = pyOrEmpty(value) + '0';
    } else if (ONES.has(current)) {
      const ones = ONES.get(current)!;
      if (value === null) value = BigInt(ones);
      else if (typeof value === 'string' || inOnes(prev)) {
        const v: string = String(value);
        if (inTens(prev) && ones < 10) value = v.slice(0, -1) + ones; // replace the last zero
        else value = v + ones;
      } else if (ones < 10) {
        value = value % 10n === 0n ? value + BigInt(ones) : String(value) + ones;
      } else {
        value = value % 100n === 0n ? value + BigInt(ones) : String(value) + ones;
      }
    } else if (ONES_SUFFIXED.has(current)) {
      // ordinal or plural: emit right away
      const [ones, suffix] = ONES_SUFFIXED.get(current)!;
      if (value === null) out.push(output(`${ones}${suffix}`));
      else if (typeof value === 'string' || inOnes(prev)) {
        const v: string = String(value);
        if (inTens(prev) && ones < 10) out.push(output(v.slice(0, -1) + ones + suffix));
        else out.push(output(v + ones + suffix));
      } else if (ones < 10) {
        out.push(output(value % 10n === 0n ? `${value + BigInt(ones)}${suffix}` : `${value}${ones}${suffix}`));
      } else {
        out.push(output(value % 100n === 0n ? `${value + BigInt(ones)}${suffix}` : `${value}${ones}${suffix}`));
      }
      value = null;
    } else if (TENS.has(current)) {
      const tens = TENS.get(current)!;
      if (value === null) value = BigInt(tens);
      else if (typeof value === 'string') value = value + tens;
      else value = value % 100n === 0n ? value + BigInt(tens) : String(value) + tens;
    } else if (TENS_SUFFIXED.has(current)) {
      const [tens, suffix] = TENS_SUFFIXED.get(current)!;
      if (value === null) out.push(output(`${tens}${suffix}`));
      else if (typeof value === 'string') out.push(output(value + tens + suffix));
      else out.push(output(value % 100n === 0n ? `${value + BigInt(tens)}${suffix}` : `${value}${tens}${suffix}`));
    } else if (MULTIPLIERS.has(current)) {
      const multiplier = MULTIPLIERS.get(current)!;
      if (value === null) value = multiplier;
      else if (typeof value === 'string' || value === 0n) {
        const p = scaled(value, multiplier);
        if (p !== null) value = p;
        else {
          out.push(output(value));
          value = multiplier;
        }
      } else {
        // "three thousand two hundred": only the part below 1000 is multiplied
        value = (value / 1000n) * 1000n + (value % 1000n) * multiplier;
      }
    } else if (MULTIPLIERS_SUFFIXED.has(current)) {
      const [multiplier, suffix] = MULTIPLIERS_SUFFIXED.get(current)!;
      if (value === null) out.push(output(`${multiplier}${suffix}`));
      else if (typeof value === 'string') {
        const p = scaled(value, multiplier);
        if (p !== null) out.push(output(`${p}${suffix}`));
        else {
          out.push(output(value));
          out.push(output(`${multiplier}${suffix}`));
        }
      } else {
        value = (value / 1000n) * 1000n + (value % 1000n) * multiplier;
        out.push(output(`${value}${suffix}`));
      }
      value = null;
    } else if (PRECEDING_PREFIXERS.has(current)) {
      // a sign applies only when a number follows
      if (value !== null) out.push(output(value));
      if ((next !== null && WORDS.has(next)) || nextIsNumeric) prefix = PRECEDING_PREFIXERS.get(current)!;
      else out.push(output(current));
    } else if (FOLLOWING_PREFIXERS.has(current)) {
      // a currency word applies only after a number, and moves in front of it
      if (value !== null) {
        prefix = FOLLOWING_PREFIXERS.get(current)!;
        out.push(output(value));
      } else out.push(output(current));
    } else if (SUFFIXERS.has(current)) {
      if (value !== null) {
        const suffix = SUFFIXERS.get(current)!;
        if (typeof suffix !== 'string') {
          if (next !== null && suffix.has(next)) {
            out.push(output(String(value) + suffix.get(next)));
            skip = true;
          } else {
            out.push(output(value));
            out.push(output(current));
          }
        } else out.push(output(String(value) + suffix));
      } else out.push(output(current));
    } else if (SPECIALS.has(current)) {
      if (!(next !== null && WORDS.has(next)) && !nextIsNumeric) {
        // special handling only when the next word can be numeric
        if (value !== null) out.push(output(value));
        out.push(output(current));
      } else if (current === 'and') {
        // "and" after hundreds, thousands, … is dropped ("one hundred and one" → 101)
        if (!(prev !== null && MULTIPLIERS.has(prev))) {
          if (value !== null) out.push(output(value));
          out.push(output(current));
        }
      } else if (current === 'double' || current === 'triple') {
        if (next !== null && (ONES.has(next) || ZEROS.has(next))) {
          const repeats = current === 'double' ? 2 : 3;
          const ones = ONES.get(next) ?? 0;
          value = pyOrEmpty(value) + String(ones).repeat(repeats);
          skip = true;
        } else {
          if (value !== null) out.push(output(value));
          out.push(output(current));
        }
      } else if (current === 'point') {
        if ((next !== null && DECIMALS.has(next)) || nextIsNumeric) value = pyOrEmpty(value) + '.';
      }
    }
  }
  if (value !== null) out.push(output(value));
  return out;
}

const MULT_ALT = [...MULTIPLIERS.keys()].sort((a, b) => b.length - a.length).join('|');
const AND_A_HALF = new RegExp(`(?<![${PY_W}])and[${PY_WS}]+a[${PY_WS}]+half(?![${PY_W}])`, 'u');
const HALF_A = new RegExp(`(?<![${PY_W}])(?:a[${PY_WS}]+half[${PY_WS}]+|half[${PY_WS}]+(?:a[${PY_WS}]+)?)(${MULT_ALT})(?![${PY_W}])`, 'gu');
const SUFFIX_SPACE = new RegExp(`([0-9])[${PY_WS}]+(st|nd|rd|th|s)(?![${PY_W}])`, 'gu');

/** Upstream `preprocess`: "and a half", "half a million", letter/digit boundaries. */
export function preprocessNumbers(s: string): string {
  const results: string[] = [];
  const segments = s.split(new RegExp(AND_A_HALF.source, 'gu'));
  segments.forEach((segment, i) => {
    if (pySplit(segment).length === 0) return;
    results.push(segment);
    if (i !== segments.length - 1) {
      const parts = pySplit(segment);
      const lastWord = parts[parts.length - 1];
      results.push(DECIMALS.has(lastWord) || MULTIPLIERS.has(lastWord) ? 'point five' : 'and a half');
    }
  });
  s = results.join(' ');
  s = s.replace(HALF_A, '0.5 $1');
  // put a space at number/letter boundaries, but re-attach what could be a suffix
  s = s.replace(/([a-z])([0-9])/g, '$1 $2');
  s = s.replace(/([0-9])([a-z])/g, '$1 $2');
  s = s.replace(SUFFIX_SPACE, '$1$2');
  return s;
}

const CENTS = new RegExp(`([€£$])([0-9]+) (?:and )?¢([0-9]{1,2})(?![${PY_W}])`, 'gu');
const ZERO_POINT = new RegExp(`[€£$]0.([0-9]{1,2})(?![${PY_W}])`, 'gu');
const LONE_ONE = new RegExp(`(?<![${PY_W}])1(s?)(?![${PY_W}])`, 'gu');

/** Upstream `postprocess`: "$2 and ¢7" → "$2.07", "$0.36" → "¢36", "1" → "one". */
export function postprocessNumbers(s: string): string {
  s = s.replace(CENTS, (_m, currency: string, integer: string, cents: string) => `${currency}${integer}.${String(Number(cents)).padStart(2, '0')}`);
  s = s.replace(ZERO_POINT, (_m, cents: string) => `¢${Number(cents)}`);
  // "one(s)" reads better than "1(s)"
  s = s.replace(LONE_ONE, 'one$1');
  return s;
}

/** `EnglishNumberNormalizer()(s)`; expects lowercased text without punctuation other than .%$¢€£. */
export function normalizeNumbers(s: string): string {
  s = preprocessNumbers(s);
  s = processNumberWords(pySplit(s)).join(' ');
  return postprocessNumbers(s);
}
