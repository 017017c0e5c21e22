/**
 * Where a module file is, whether the code runs from the TypeScript sources (CLI, tests: tsx) or
 * from the compiled main process (dist-main/, built by scripts/build-main.mjs for the desktop app).
 * Code names job modules by their source path ('../jobs/tune-job.ts' relative to itself); in the
 * compiled tree that file is 'tune-job.js' in the same place, so a missing .ts with a .js beside
 * it means the .js.
 */
import { existsSync } from 'node:fs';

export function runnableModule(file: string): string {
  if (!file.endsWith('.ts') || existsSync(file)) return file;
  const js = `${file.slice(0, -3)}.js`;
  return existsSync(js) ? js : file;
}

/** True when `file` must be run through tsx (a TypeScript source). */
export function needsTsx(file: string): boolean {
  return file.endsWith('.ts');
}
