/**
 * The recording-script generator: turns a vocabulary into sentences worth recording.
 *
 * For each term: `perTerm` sentences with the term at the start, middle and end (in turn), plus a
 * plural and a possessive form where that makes sense, and confusable negatives: sentences with a
 * sound-alike ("cooler" for CUDA, "pie torch" for PyTorch) that the tuned model must NOT turn into
 * the term, so tuning does not teach it to hallucinate the term everywhere.
 *
 * Sound-alikes are a small heuristic, not phonetics: the term's own `soundsLike` notes first
 * (the best source: the user knows what Whisper gets wrong), then camel case split and respelled
 * ("PyTorch" → "pie torch"), then acronyms spelled as letter names ("CUDA" → "see you dee ay").
 * Templates live in resources/script-templates.json. Output is deterministic for a seed.
 */
import { readFileSync } from 'node:fs';
import type { Db } from './db.ts';
import type { PromptInput } from './prompts.ts';
import { listTerms, termMatcher, type Term } from './terms.ts';

export type Templates = {
  term: { start: string[]; middle: string[]; end: string[] };
  plural: string[];
  possessive: string[];
  negative: string[];
  respell: Record<string, string>;
  letters: Record<string, string>;
};

export function loadTemplates(file = new URL('../../resources/script-templates.json', import.meta.url)): Templates {
  return JSON.parse(readFileSync(file, 'utf8')) as Templates;
}

export type ScriptLine = PromptInput & { termId: number; position: 'start' | 'middle' | 'end' | 'plural' | 'possessive' | 'negative' };

export type ScriptOptions = { perTerm?: number; negativesPerTerm?: number; seed?: number; templates?: Templates };

/** Plural of a term, or null when a plural would be wrong (names, acronyms, phrases). */
export function pluralOf(term: string): string | null {
  if (!/^[a-z]+$/.test(term) || term.endsWith('s')) return null;
  if (/(x|z|ch|sh)$/.test(term)) return `${term}es`;
  if (/[^aeiou]y$/.test(term)) return `${term.slice(0, -1)}ies`;
  return `${term}s`;
}

/** Possessive, or null for multi-word terms and terms ending in a symbol ("C++", "Node.js"). */
export function possessiveOf(term: string): string | null {
  if (/\s/.test(term) || !/[\p{L}\p{N}]$/u.test(term) || /[./]/.test(term)) return null;
  return term.endsWith('s') ? `${term}'` : `${term}'s`;
}

/** Sound-alike phrases for a term (never the term itself in any case). */
export function soundAlikes(term: Pick<Term, 'text' | 'soundsLike'>, t: Templates = loadTemplates()): string[] {
  const out = [...term.soundsLike];
  const parts = term.text.split(/(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|[\s_\-.]+/).filter(Boolean);
  if (parts.length > 1) out.push(parts.map((p) => t.respell[p.toLowerCase()] ?? p.toLowerCase()).join(' '));
  if (/^[A-Z]{2,6}$/.test(term.text)) out.push([...term.text].map((c) => t.letters[c]).join(' '));
  const same = (a: string) => a.replace(/\s+/g, '').toLowerCase() === term.text.replace(/\s+/g, '').toLowerCase();
  return [...new Set(out.map((x) => x.trim()).filter((x) => x && !same(x)))];
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function fill(tpl: string, term: string): string {
  // {term's} first, since {term} is a prefix of it.
  return tpl.replace(/\{term's\}/g, possessiveOf(term) ?? term).replace(/\{terms\}/g, pluralOf(term) ?? term).replace(/\{term\}/g, term);
}

/** The script for the given terms. Templates are drawn without repeats per term. */
export function generateScript(terms: Pick<Term, 'id' | 'text' | 'soundsLike'>[], opts: ScriptOptions = {}): ScriptLine[] {
  const t = opts.templates ?? loadTemplates();
  const perTerm = opts.perTerm ?? 6;
  const nNeg = opts.negativesPerTerm ?? 2;
  const seed = opts.seed ?? 0;
  const lines: ScriptLine[] = [];
  for (const term of terms) {
    const pick = (pool: string[], salt: string, used: Set<string>) => {
      const order = [...pool].sort((a, b) => hash(`${seed}:${term.text}:${salt}:${a}`) - hash(`${seed}:${term.text}:${salt}:${b}`));
      const tpl = order.find((x) => !used.has(x)) ?? order[0];
      used.add(tpl);
      return tpl;
    };
    const used = new Set<string>();
    const slots: ScriptLine['position'][] = [];
    if (pluralOf(term.text)) slots.push('plural');
    if (possessiveOf(term.text)) slots.push('possessive');
    const positions = ['start', 'middle', 'end'] as const;
    const nForms = Math.min(slots.length, Math.max(0, perTerm - 3));
    const plan: ScriptLine['position'][] = [...Array.from({ length: perTerm - nForms }, (_, i) => positions[i % 3]), ...slots.slice(0, nForms)];
    for (const pos of plan) {
      const pool = pos === 'plural' ? t.plural : pos === 'possessive' ? t.possessive : t.term[pos as 'start' | 'middle' | 'end'];
      lines.push({ termId: term.id, kind: 'term', position: pos, text: fill(pick(pool, pos, used), term.text) });
    }
    const alikes = soundAlikes(term, t).slice(0, nNeg);
    for (const a of alikes) {
      lines.push({ termId: term.id, kind: 'negative', position: 'negative', text: pick(t.negative, 'neg', used).replace(/\{alike\}/g, a) });
    }
  }
  return lines;
}

export type Coverage = { termId: number; text: string; prompts: number; negatives: number; recorded: number; wanted: number };

/**
 * Clips per term against the goal. A clip counts for a term when it was recorded from one of the
 * term's prompts or its transcript contains the exact term; negatives do not count.
 */
export function coverage(db: Db, projectId: number): Coverage[] {
  const terms = listTerms(db, projectId);
  const match = termMatcher(terms);
  const prompts = db.prepare('SELECT term_id AS termId, kind, count(*) AS n FROM prompts WHERE project_id = ? AND term_id IS NOT NULL GROUP BY 1, 2').all(projectId) as { termId: number; kind: string; n: number }[];
  const clips = db
    .prepare(
      `SELECT p.term_id AS termId, p.kind, t.text FROM recordings r LEFT JOIN prompts p ON p.id = r.prompt_id
       LEFT JOIN transcripts t ON t.recording_id = r.id WHERE r.project_id = ?`,
    )
    .all(projectId) as { termId: number | null; kind: string | null; text: string | null }[];
  const recorded = new Map<number, number>();
  for (const c of clips) {
    if (c.kind === 'negative') continue;
    const ids = new Set(c.text ? match(c.text).map((x) => x.id) : []);
    if (c.kind === 'term' && c.termId !== null) ids.add(c.termId);
    for (const id of ids) recorded.set(id, (recorded.get(id) ?? 0) + 1);
  }
  return terms.map((term) => ({
    termId: term.id,
    text: term.text,
    prompts: prompts.find((p) => p.termId === term.id && p.kind === 'term')?.n ?? 0,
    negatives: prompts.find((p) => p.termId === term.id && p.kind === 'negative')?.n ?? 0,
    recorded: recorded.get(term.id) ?? 0,
    wanted: term.wantedClips,
  }));
}
