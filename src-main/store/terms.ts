/**
 * Vocabulary terms: exact spelling, case-sensitive ("CUDA" ≠ "Cuda"), with optional notes and
 * sound-alikes ("cooler", "pie torch") that feed the recording script's confusable negatives.
 */
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { unsafeTextProblem } from '../util/text-safety.ts';
import { nowIso } from './store.ts';

export type Term = {
  id: number;
  projectId: number;
  text: string;
  notes: string | null;
  soundsLike: string[];
  /** Coverage goal: clips of this term the script asks for. */
  wantedClips: number;
  createdAt: string;
};

type Row = Omit<Term, 'soundsLike'> & { soundsLike: string | null };

const COLS = 'id, project_id AS projectId, text, notes, sounds_like AS soundsLike, wanted_clips AS wantedClips, created_at AS createdAt';

function fromRow(r: Row): Term {
  return { ...r, soundsLike: r.soundsLike ? (JSON.parse(r.soundsLike) as string[]) : [] };
}

/** NUL, control characters and bidi overrides are refused in every field of a term (TERM_INVALID). */
function checkSafe(text: string, what: string): void {
  const problem = unsafeTextProblem(text, what);
  if (problem) throw new StoreError('TERM_INVALID', `${problem}.`);
}

function checkText(text: string): string {
  // Surrounding spaces are never meant; inner case and punctuation are kept exactly ("C++", ".NET").
  checkSafe(text, `the term "${text.slice(0, 60)}"`);
  const t = text.trim();
  if (!t || t.length > 200 || /[\r\n\t]/.test(t)) {
    throw new StoreError('TERM_INVALID', `"${text.slice(0, 60)}" is not a usable term: use 1–200 characters on one line.`);
  }
  return t;
}

function cleanAlikes(xs: string[] | undefined): string | null {
  for (const x of xs ?? []) checkSafe(x, `the sound-alike "${x.slice(0, 60)}"`);
  const out = [...new Set((xs ?? []).map((x) => x.trim()).filter((x) => x.length > 0 && x.length <= 200))];
  return out.length ? JSON.stringify(out) : null;
}

export function listTerms(db: Db, projectId: number): Term[] {
  return (db.prepare(`SELECT ${COLS} FROM terms WHERE project_id = ? ORDER BY id`).all(projectId) as Row[]).map(fromRow);
}

export function getTerm(db: Db, id: number): Term {
  const r = db.prepare(`SELECT ${COLS} FROM terms WHERE id = ?`).get(id) as Row | undefined;
  if (!r) throw new StoreError('NOT_FOUND', `There is no term with id ${id}.`);
  return fromRow(r);
}

export type TermInput = { text: string; notes?: string | null; soundsLike?: string[]; wantedClips?: number };

export function addTerm(db: Db, projectId: number, input: TermInput): Term {
  const text = checkText(input.text);
  if (input.notes) checkSafe(input.notes, 'the notes');
  const exists = db.prepare('SELECT id FROM terms WHERE project_id = ? AND text = ?').get(projectId, text);
  if (exists) throw new StoreError('TERM_EXISTS', `The term "${text}" is already in the vocabulary.`);
  const r = db
    .prepare('INSERT INTO terms (project_id, text, notes, sounds_like, wanted_clips, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(projectId, text, input.notes ?? null, cleanAlikes(input.soundsLike), input.wantedClips ?? 8, nowIso());
  return getTerm(db, Number(r.lastInsertRowid));
}

export function updateTerm(db: Db, id: number, patch: Partial<TermInput>): Term {
  const cur = getTerm(db, id);
  const text = patch.text === undefined ? cur.text : checkText(patch.text);
  if (patch.notes) checkSafe(patch.notes, 'the notes');
  if (text !== cur.text && db.prepare('SELECT 1 FROM terms WHERE project_id = ? AND text = ?').get(cur.projectId, text)) {
    throw new StoreError('TERM_EXISTS', `The term "${text}" is already in the vocabulary.`);
  }
  db.prepare('UPDATE terms SET text = ?, notes = ?, sounds_like = ?, wanted_clips = ? WHERE id = ?').run(
    text,
    patch.notes === undefined ? cur.notes : patch.notes,
    cleanAlikes(patch.soundsLike ?? cur.soundsLike),
    patch.wantedClips ?? cur.wantedClips,
    id,
  );
  return getTerm(db, id);
}

/** Removes the term; its prompts stay (term_id becomes NULL) and no recording is touched. */
export function removeTerm(db: Db, id: number): void {
  db.prepare('DELETE FROM terms WHERE id = ?').run(id);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A function listing the terms that occur in a text: exact case, not inside a longer word
 * ("CUDA" matches "CUDA's" but not "CUDAfy"). One alternation regex, longest term first; word
 * edges are checked per match rather than with Unicode lookarounds, which cost ~3× as much, so
 * 10 000 transcripts × 20 terms stays around 10 ms.
 */
export function termMatcher<T extends { text: string }>(terms: T[]): (text: string) => T[] {
  if (terms.length === 0) return () => [];
  const byText = new Map(terms.map((t) => [t.text, t]));
  const alts = [...byText.keys()].sort((a, b) => b.length - a.length).map(escapeRe);
  const re = new RegExp(alts.join('|'), 'g');
  const wordChar = /[\p{L}\p{N}_]/u;
  return (text) => {
    const found = new Set<T>();
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const before = m.index > 0 ? text[m.index - 1] : '';
      const after = text[m.index + m[0].length] ?? '';
      // A term that itself starts/ends with a symbol ("C++", ".NET") has no word edge there to check.
      const edgeOk = (c: string, termEdge: string) => c === '' || !wordChar.test(termEdge) || !wordChar.test(c);
      if (edgeOk(before, m[0][0]) && edgeOk(after, m[0][m[0].length - 1])) found.add(byText.get(m[0])!);
      else re.lastIndex = m.index + 1; // a shorter term may still match inside this position
    }
    return [...found];
  };
}
