/**
 * Project statistics for `data stats` and the app's overview: clip counts and hours per split,
 * transcript sources, and per-term coverage. A handful of aggregate queries.
 */
import type { Db } from './db.ts';
import { coverage, type Coverage } from './script.ts';
import { splitCounts, type SplitCounts } from './splits.ts';

export type ProjectStats = {
  clips: number;
  seconds: number;
  splits: SplitCounts;
  secondsBySplit: Record<string, number>;
  transcripts: { missing: number; edited: number; bySource: Record<string, number> };
  terms: number;
  prompts: number;
  coverage: Coverage[];
};

export function projectStats(db: Db, projectId: number): ProjectStats {
  const tot = db.prepare('SELECT count(*) AS n, coalesce(sum(duration_s), 0) AS s FROM recordings WHERE project_id = ?').get(projectId) as { n: number; s: number };
  const bySplit = db
    .prepare(
      `SELECT coalesce(s.split, 'unassigned') AS split, sum(r.duration_s) AS s FROM recordings r
       LEFT JOIN splits s ON s.recording_id = r.id WHERE r.project_id = ? GROUP BY 1`,
    )
    .all(projectId) as { split: string; s: number }[];
  const src = db
    .prepare(
      `SELECT coalesce(t.source, 'missing') AS source, count(*) AS n, coalesce(sum(t.edited), 0) AS edited FROM recordings r
       LEFT JOIN transcripts t ON t.recording_id = r.id WHERE r.project_id = ? GROUP BY 1`,
    )
    .all(projectId) as { source: string; n: number; edited: number }[];
  const count = (sql: string) => (db.prepare(sql).get(projectId) as { n: number }).n;
  return {
    clips: tot.n,
    seconds: tot.s,
    splits: splitCounts(db, projectId),
    secondsBySplit: Object.fromEntries(bySplit.map((r) => [r.split, r.s])),
    transcripts: {
      missing: src.find((r) => r.source === 'missing')?.n ?? 0,
      edited: src.reduce((a, r) => a + r.edited, 0),
      bySource: Object.fromEntries(src.filter((r) => r.source !== 'missing').map((r) => [r.source, r.n])),
    },
    terms: count('SELECT count(*) AS n FROM terms WHERE project_id = ?'),
    prompts: count('SELECT count(*) AS n FROM prompts WHERE project_id = ?'),
    coverage: coverage(db, projectId),
  };
}
