/**
 * Version 3: remember each clip's stratum (`term:<id>`, `negative:<id>`, `general`) when it is
 * assigned a split. Assigning new clips then only needs the per-stratum counts of the old ones
 * (one GROUP BY) instead of re-deriving every old clip's stratum from its transcript. Rows from
 * before this version keep NULL and are derived on the fly.
 */
export const version = 3;
export const name = 'split-stratum';
export const sql = `
ALTER TABLE splits ADD COLUMN stratum TEXT;
`;
