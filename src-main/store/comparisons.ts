/**
 * Comparisons: per clip and model, the text the model produced and, for each vocabulary term in
 * the reference, the probability the model gave the term's tokens (teacher-forced). One row per
 * (clip, model); re-scoring replaces it.
 */
import type { Db } from './db.ts';
import { nowIso } from './store.ts';

/** Probability of one term's tokens in one clip, and the strongest wrong competitor. */
export type TermProb = { term: string; tokenIds: number[]; probs: number[]; logProb: number; topWrong?: { text: string; prob: number } };
export type Comparison = { id: number; recordingId: number; modelId: number; runId: number | null; text: string; termProbs: TermProb[]; createdAt: string };

export function saveComparison(db: Db, c: { recordingId: number; modelId: number; runId?: number | null; text: string; termProbs: TermProb[] }): void {
  db.prepare(
    `INSERT INTO comparisons (recording_id, model_id, run_id, text, term_probs_json, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (recording_id, model_id) DO UPDATE SET run_id = excluded.run_id, text = excluded.text,
       term_probs_json = excluded.term_probs_json, created_at = excluded.created_at`,
  ).run(c.recordingId, c.modelId, c.runId ?? null, c.text, JSON.stringify(c.termProbs), nowIso());
}

/** Every comparison for the given models, grouped by clip for a side-by-side view. */
export function listComparisons(db: Db, modelIds: number[]): Comparison[] {
  if (modelIds.length === 0) return [];
  const rows = db
    .prepare(
      `SELECT id, recording_id AS recordingId, model_id AS modelId, run_id AS runId, text, term_probs_json AS termProbs, created_at AS createdAt
       FROM comparisons WHERE model_id IN (${modelIds.map(() => '?').join(',')}) ORDER BY recording_id, model_id`,
    )
    .all(...modelIds) as (Omit<Comparison, 'termProbs'> & { termProbs: string })[];
  return rows.map((r) => ({ ...r, termProbs: JSON.parse(r.termProbs) as TermProb[] }));
}
