/**
 * @file Characters that have no place in a transcript, a term or a file name, and can do harm
 * there: NUL (truncates C strings, breaks CSV and tokenizers), the other C0 and C1 control
 * characters (terminal escapes in a log or a CLI table), and the Unicode bidirectional embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069: "Trojan Source" — text that displays in a
 * different order than it is stored, so a label can look right and train wrong). Lone UTF-16
 * surrogates are refused too (they are not text and cannot be written as UTF-8).
 *
 * Tab, line feed and carriage return are allowed where text may span lines; callers that want one
 * line fold them to spaces afterwards.
 *
 *   unsafeCharacter('PyTorch\u202Ehcrot')   // { char: 'U+202E', index: 7, what: 'a bidirectional override' }
 */

// Without the u flag, so the surrogate classes see UTF-16 code units. Control characters are
// exactly what this pattern is for, hence the lint exception.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface UnsafeChar {
  /** "U+0000" */
  char: string;
  /** UTF-16 index in the text. */
  index: number;
  what: string;
}

function describe(code: number): string {
  if (code === 0) return 'a NUL character';
  if (code < 0x20 || code === 0x7f) return 'a control character';
  if (code <= 0x9f) return 'a C1 control character';
  if (code >= 0x202a && code <= 0x2069) return 'a bidirectional override';
  return 'a lone surrogate (not valid text)';
}

/** The first character that is not allowed, or null. */
export function unsafeCharacter(text: string): UnsafeChar | null {
  const m = UNSAFE.exec(text);
  if (!m) return null;
  const code = m[0].charCodeAt(0);
  return { char: `U+${code.toString(16).toUpperCase().padStart(4, '0')}`, index: m.index, what: describe(code) };
}

/** A sentence naming the first unsafe character of `text`, or null when it is clean. */
export function unsafeTextProblem(text: string, what: string): string | null {
  const u = unsafeCharacter(text);
  return u ? `${what} contains ${u.what} (${u.char}) at position ${u.index + 1}; remove it (it is invisible or changes how the text displays)` : null;
}
