/**
 * Build the compiled main process (dist-main/) and run it under plain Node with the Electron
 * stand-in (tests/main/electron/stand-in/), collecting the `STAND-IN {...}` records it prints.
 */
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const DIST = path.join(repoRoot, 'dist-main');
const REGISTER = path.join(repoRoot, 'tests/main/electron/stand-in/register.mjs');

export type Rec = { event: string; [k: string]: unknown };

/** Runs the compiled main under the stand-in; resolves with its records once it quits. */
export function runCompiledMain(env: Record<string, string>, timeoutMs = 120_000): Promise<{ records: Rec[]; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', REGISTER, path.join(DIST, 'electron/main.js')],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const records = stdout
          .split('\n')
          .filter((l) => l.startsWith('STAND-IN '))
          .map((l) => JSON.parse(l.slice('STAND-IN '.length)) as Rec);
        resolve({ records, stderr, code: err ? Number((err as { code?: number }).code ?? 1) : 0 });
      },
    );
  });
}

/** Builds dist-main/ once per test process (the same script `npm start` and `npm run dist` run). */
export function buildMain(): void {
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build-main.mjs')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
}

