/**
 * The ordered list of schema migrations. Forward-only: a migration is never edited or removed
 * after release; fixes are new migrations appended here.
 */
import * as m001 from './001-init.ts';
import * as m002 from './002-indexes-wanted-clips.ts';
import * as m003 from './003-split-stratum.ts';

export type Migration = { version: number; name: string; sql: string };

export const MIGRATIONS: readonly Migration[] = [m001, m002, m003];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
