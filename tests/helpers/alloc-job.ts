/**
 * A job for the job-host tests: allocates `mb` megabytes of typed arrays (outside V8's heap, where
 * decoded audio lives), touching every page, then holds them for `holdMs` before reporting.
 */
import type { JobContext } from '../../src-main/jobs/protocol.ts';

export async function run(p: { mb: number; holdMs?: number }, ctx: JobContext): Promise<{ mb: number }> {
  const keep: Uint8Array[] = [];
  for (let i = 0; i < p.mb; i++) keep.push(new Uint8Array(1024 * 1024).fill(1));
  ctx.progress({ done: 1, total: 1, message: `holding ${p.mb} MB` });
  await new Promise((r) => setTimeout(r, p.holdMs ?? 0));
  return { mb: keep.length };
}
