/**
 * Prompts: the sentences of the recording script. `kind` says what a clip of it teaches:
 * 'term' (the term must come out spelled exactly), 'negative' (a sound-alike that must NOT become
 * the term) or 'general' (ordinary speech for the forgetting guard).
 */
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { nowIso } from './store.ts';

export type PromptKind = 'term' | 'negative' | 'general';

export type PromptInput = { termId: number | null; text: string; kind: PromptKind; position?: string | null };

export type Prompt = PromptInput & { id: number; projectId: number; position: string | null; createdAt: string; takes: number };

/** Add prompts, skipping texts the project already has; returns how many were new. */
export function addPrompts(db: Db, projectId: number, lines: PromptInput[]): number {
  const ins = db.prepare(
    'INSERT OR IGNORE INTO prompts (project_id, term_id, text, kind, position, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const now = nowIso();
  return db.transaction(() => {
    let n = 0;
    for (const l of lines) {
      const text = l.text.trim();
      if (!text) throw new StoreError('PROMPT_INVALID', 'A prompt sentence is empty; every prompt needs text to read aloud.');
      n += ins.run(projectId, l.termId, text, l.kind, l.position ?? null, now).changes;
    }
    return n;
  })();
}

/** Prompts with `takes` = clips recorded for each. */
export function listPrompts(db: Db, projectId: number): Prompt[] {
  return db
    .prepare(
      `SELECT p.id, p.project_id AS projectId, p.term_id AS termId, p.text, p.kind, p.position, p.created_at AS createdAt,
              (SELECT count(*) FROM recordings r WHERE r.prompt_id = p.id) AS takes
       FROM prompts p WHERE p.project_id = ? ORDER BY p.id`,
    )
    .all(projectId) as Prompt[];
}

export function getPrompt(db: Db, id: number): Prompt {
  const p = db
    .prepare(
      `SELECT p.id, p.project_id AS projectId, p.term_id AS termId, p.text, p.kind, p.position, p.created_at AS createdAt,
              (SELECT count(*) FROM recordings r WHERE r.prompt_id = p.id) AS takes
       FROM prompts p WHERE p.id = ?`,
    )
    .get(id) as Prompt | undefined;
  if (!p) throw new StoreError('NOT_FOUND', `There is no prompt with id ${id}.`);
  return p;
}

export function removePrompt(db: Db, id: number): void {
  db.prepare('DELETE FROM prompts WHERE id = ?').run(id);
}
