/**
 * @file Makes sure `dist-renderer/` holds a build of the current `src-renderer/` sources, building
 * it with Vite's JS API when it is missing or older than any source file. `serve` calls this so a
 * fresh checkout works without a separate build step.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_SRC = path.join(REPO_ROOT, 'src-renderer');
export const RENDERER_OUT = path.join(REPO_ROOT, 'dist-renderer');

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** True when the build is missing or a source (renderer, or the contract it imports) is newer. */
export function rendererIsStale(src = RENDERER_SRC, out = RENDERER_OUT): boolean {
  const index = path.join(out, 'index.html');
  if (!fs.existsSync(index)) return true;
  const built = fs.statSync(index).mtimeMs;
  const ipc = path.join(REPO_ROOT, 'src-main', 'ipc');
  return newestMtime(src) > built || newestMtime(ipc) > built;
}

export async function ensureRendererBuilt(log: (s: string) => void = () => {}): Promise<string> {
  if (!rendererIsStale()) return RENDERER_OUT;
  log('building the renderer (dist-renderer/ is missing or older than src-renderer/)…');
  const { build } = await import('vite');
  await build({ configFile: path.join(RENDERER_SRC, 'vite.config.ts'), logLevel: 'warn' });
  // Vite keeps file mtimes of unchanged outputs; touch index.html so the staleness check is exact.
  const now = new Date();
  fs.utimesSync(path.join(RENDERER_OUT, 'index.html'), now, now);
  return RENDERER_OUT;
}
