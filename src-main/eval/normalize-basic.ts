/**
 * Whisper's `BasicTextNormalizer` and its symbol/diacritic helpers, reimplemented from
 * openai/whisper `whisper/normalizers/basic.py` (spec §5). The English normaliser builds on
 * `removeSymbolsAndDiacritics`.
 *
 * Python-vs-JS details that matter for byte-identical output, kept in one place here:
 * - Python's `str.split()` / regex `\s` treat exactly the `str.isspace()` set as whitespace; JS `\s`
 *   differs (it includes U+FEFF, lacks U+001C–U+001F and U+0085). `PY_WS` is Python's set.
 * - Python's `\b`/`\w` are Unicode-aware (letters, numbers, underscore); JS `\b` is ASCII-only.
 *   `PY_W` is Python's word class, used through look-arounds by the English normaliser.
 * - Python iterates strings by code point; `for…of` does too (not UTF-16 units).
 */

/** Python `str.isspace()` characters, as a regex character-class body. */
export const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python `\w` for str patterns (Unicode letters, numbers, underscore), as a class body. */
export const PY_W = '\\p{L}\\p{N}_';

const WS_RUN = new RegExp(`[${PY_WS}]+`, 'gu');

/** Python `s.split()` with no arguments: split on whitespace runs, drop empty ends. */
export function pySplit(s: string): string[] {
  return s.split(WS_RUN).filter((w) => w.length > 0);
}

/** Python `re.sub(r"\s+", " ", s)`. */
export function collapseWhitespace(s: string): string {
  return s.replace(WS_RUN, ' ');
}

/** Non-ASCII letters that NFKD does not decompose into base + mark (upstream's manual table). */
const ADDITIONAL_DIACRITICS: Record<string, string> = {
  'œ': 'oe', 'Œ': 'OE', 'ø': 'o', 'Ø': 'O', 'æ': 'ae', 'Æ': 'AE', 'ß': 'ss', 'ẞ': 'SS',
  'đ': 'd', 'Đ': 'D', 'ð': 'd', 'Ð': 'D', 'þ': 'th', 'Þ': 'th', 'ł': 'l', 'Ł': 'L',
};

const IS_MN = /^\p{Mn}$/u;
const IS_MSP = /^[\p{M}\p{S}\p{P}]$/u;

/**
 * Replace marks, symbols and punctuation with a space and drop diacritics (category Mn plus the
 * manual table), after NFKD. Characters in `keep` pass through unchanged.
 */
export function removeSymbolsAndDiacritics(s: string, keep = ''): string {
  let out = '';
  for (const c of s.normalize('NFKD')) {
    if (keep.includes(c)) out += c;
    else if (c in ADDITIONAL_DIACRITICS) out += ADDITIONAL_DIACRITICS[c];
    else if (IS_MN.test(c)) out += '';
    else if (IS_MSP.test(c)) out += ' ';
    else out += c;
  }
  return out;
}

/**
 * Replace marks (unless `preserveMarks`), symbols and punctuation with a space, keeping
 * diacritics, after NFKC.
 */
export function removeSymbols(s: string, preserveMarks = false): string {
  const cat = preserveMarks ? /^[\p{S}\p{P}]$/u : IS_MSP;
  let out = '';
  for (const c of s.normalize('NFKC')) out += cat.test(c) ? ' ' : c;
  return out;
}

/** Upstream's bracket and parenthesis span removal, shared with the English normaliser. */
export function removeBracketedSpans(s: string): string {
  return s.replace(/[<[][^>\]]*[>\]]/g, '').replace(/\(([^)]+?)\)/g, '');
}

export type BasicNormalizerOptions = { removeDiacritics?: boolean; splitLetters?: boolean; preserveMarks?: boolean };

/**
 * `BasicTextNormalizer`: lowercase, drop bracketed/parenthesised spans, symbols → spaces,
 * collapse whitespace. Language-independent; used for non-English WER.
 */
export function basicNormalize(s: string, opts: BasicNormalizerOptions = {}): string {
  if (opts.removeDiacritics && opts.preserveMarks) {
    throw new Error('`preserveMarks` cannot be combined with `removeDiacritics`');
  }
  s = removeBracketedSpans(s.toLowerCase());
  s = (opts.removeDiacritics ? removeSymbolsAndDiacritics(s) : removeSymbols(s, opts.preserveMarks ?? false)).toLowerCase();
  if (opts.splitLetters) {
    // Python's regex `\X` = extended grapheme clusters, which Intl.Segmenter also yields.
    const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    s = Array.from(seg.segment(s), (g) => g.segment).join(' ');
  }
  return collapseWhitespace(s);
}
