/**
 * `data doctor`: checks the data directory against the database and reports
 *   - missing:    rows whose audio file is gone (reported only: the file must come from a backup)
 *   - mismatched: files whose sha256 differs from the row's (reported only, never "fixed")
 *   - orphans:    files in audio/ no row points at (a crash between file and row, or a restore)
 *   - partials:   leftovers of interrupted writes in .tmp/
 * Nothing is ever deleted silently. With `fix`, orphans are MOVED to quarantine/<time>/ (the user
 * can re-import or delete them) and partials, which were never committed data, are removed.
 * Both only touch files older than `minAgeMs` (10 min), so a save in flight in the app at the same
 * moment is never disturbed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { listAudioFiles, sha256Hex } from './audio-files.ts';
import type { Store } from './store.ts';

export type DoctorReport = {
  checked: number;
  missing: { id: number; file: string }[];
  mismatched: { id: number; file: string; expected: string; actual: string }[];
  orphans: string[];
  partials: string[];
  /** What `fix` did: orphans moved (relative paths inside the data dir) and partials removed. */
  fixed: { quarantined: { from: string; to: string }[]; removedPartials: string[] };
};

export type DoctorOptions = { fix?: boolean; minAgeMs?: number; now?: number };

export function doctor(store: Store, opts: DoctorOptions = {}): DoctorReport {
  const { dataDir, layout } = store;
  const rows = store.db.prepare('SELECT id, file, sha256 FROM recordings ORDER BY id').all() as { id: number; file: string; sha256: string }[];
  const report: DoctorReport = { checked: rows.length, missing: [], mismatched: [], orphans: [], partials: [], fixed: { quarantined: [], removedPartials: [] } };
  const referenced = new Set<string>();
  for (const r of rows) {
    referenced.add(r.file);
    const abs = path.join(dataDir, r.file);
    if (!fs.existsSync(abs)) {
      report.missing.push({ id: r.id, file: r.file });
      continue;
    }
    const actual = sha256Hex(fs.readFileSync(abs));
    if (actual !== r.sha256) report.mismatched.push({ id: r.id, file: r.file, expected: r.sha256, actual });
  }
  report.orphans = listAudioFiles(dataDir).filter((f) => !referenced.has(f));
  report.partials = fs.existsSync(layout.tmp) ? fs.readdirSync(layout.tmp).map((f) => `.tmp/${f}`).sort() : [];

  if (opts.fix) {
    const now = opts.now ?? Date.now();
    const minAge = opts.minAgeMs ?? 10 * 60_000;
    const old = (rel: string) => now - fs.statSync(path.join(dataDir, rel)).mtimeMs >= minAge;
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
    for (const f of report.orphans.filter(old)) {
      const to = path.posix.join('quarantine', stamp, f);
      fs.mkdirSync(path.dirname(path.join(dataDir, to)), { recursive: true });
      fs.renameSync(path.join(dataDir, f), path.join(dataDir, to));
      report.fixed.quarantined.push({ from: f, to });
    }
    for (const f of report.partials.filter(old)) {
      fs.rmSync(path.join(dataDir, f), { force: true });
      report.fixed.removedPartials.push(f);
    }
  }
  return report;
}

/** True when nothing needs attention (orphans and partials are harmless but worth a look). */
export function isHealthy(r: DoctorReport): boolean {
  return r.missing.length === 0 && r.mismatched.length === 0;
}
