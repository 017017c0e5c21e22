/**
 * Orthographic words: the text as written, split on whitespace, with only the punctuation that
 * hangs on a word's edges removed. Case and spelling are kept, so "PyTorch" ≠ "pytorch" and
 * "recognise" ≠ "recognize" — the differences this product exists to teach.
 *
 * Rules (applied after NFC, so composed and decomposed accents compare equal):
 * - Stripped from both edges: quotes and apostrophes (' " ‘ ’ “ ” „ ‚ « » ‹ ›), brackets
 *   ( ) [ ] { }, sentence marks , ; : ! ? ¿ ¡ …, dashes – — and a hyphen.
 * - A full stop is stripped from the end ("end." → "end", "U.S." → "U.S", the same on both sides
 *   so it still matches) and from the start only as a run (".NET" keeps its dot, "...and" does not).
 * - Everything inside a word stays: "don't", "U.S", "Node.js", "state-of-the-art".
 * - Symbols are not punctuation and stay: "C++", "C#", "50%", "$5", "@user".
 * Words that were only punctuation ("—", "...") disappear.
 */

const EDGE = `'"‘’“”„‚«»‹›()\\[\\]{},;:!?¿¡…–—\\-`;
const LEADING = new RegExp(`^(?:[${EDGE}]|\\.{2,}|\\.(?=[${EDGE}]|$))+`, 'u');
const TRAILING = new RegExp(`[${EDGE}.]+$`, 'u');

/** Strip edge punctuation from one whitespace-separated token; '' when nothing is left. */
export function stripEdgePunctuation(token: string): string {
  return token.replace(LEADING, '').replace(TRAILING, '');
}

/** Orthographic word sequence of a text: "Install PyTorch, then CUDA." → ["Install", "PyTorch", "then", "CUDA"]. */
export function orthographicWords(text: string): string[] {
  const out: string[] = [];
  for (const tok of text.normalize('NFC').split(/\s+/u)) {
    const w = stripEdgePunctuation(tok);
    if (w) out.push(w);
  }
  return out;
}

/** Non-overlapping occurrences of a word sequence (case-sensitive) in a word list. */
export function countPhrase(words: readonly string[], phrase: readonly string[]): number {
  if (phrase.length === 0) return 0;
  let count = 0;
  for (let i = 0; i + phrase.length <= words.length; ) {
    let k = 0;
    while (k < phrase.length && words[i + k] === phrase[k]) k++;
    if (k === phrase.length) {
      count++;
      i += phrase.length;
    } else i++;
  }
  return count;
}
