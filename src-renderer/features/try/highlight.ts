/**
 * @file Splits a transcript into plain and term pieces (exact, case-sensitive spelling, as the
 * scorecard counts terms), so both columns can mark what the user tuned for.
 */
export interface Piece {
  text: string;
  term: boolean;
}

export function highlightTerms(text: string, terms: readonly string[]): Piece[] {
  const want = [...new Set(terms.filter((t) => t.trim()))].sort((a, b) => b.length - a.length);
  if (want.length === 0) return text ? [{ text, term: false }] : [];
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Whole words only: "CUDA" in "CUDA's" yes, in "BARRACUDA" no.
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(${want.map(esc).join('|')})(?![\\p{L}\\p{N}])`, 'gu');
  const out: Piece[] = [];
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > at) out.push({ text: text.slice(at, m.index), term: false });
    out.push({ text: m[0], term: true });
    at = m.index! + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at), term: false });
  return out;
}
