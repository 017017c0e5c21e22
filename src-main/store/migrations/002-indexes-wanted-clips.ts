/**
 * Version 2: indexes for the queries the app runs on every screen (listing a project's clips,
 * clips per split, prompts per term, a run's metric history), and `terms.wanted_clips`, the
 * coverage goal per term (the recording script asks for this many clips of each term).
 */
export const version = 2;
export const name = 'indexes-wanted-clips';
export const sql = `
ALTER TABLE terms ADD COLUMN wanted_clips INTEGER NOT NULL DEFAULT 8 CHECK (wanted_clips >= 0);
CREATE INDEX recordings_project_created ON recordings (project_id, created_at, id);
CREATE INDEX recordings_prompt ON recordings (prompt_id);
CREATE INDEX prompts_term ON prompts (term_id);
CREATE INDEX splits_split ON splits (split);
CREATE INDEX runs_project ON runs (project_id, created_at);
CREATE INDEX comparisons_model ON comparisons (model_id);
`;
