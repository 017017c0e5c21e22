/**
 * @file Entry point of a job process (forked by host.ts, with tsx loaded when run from the sources).
 * Imports the job module named by the host (its compiled .js in the desktop app), runs its `run` export once, reports, and exits.
 */
import { pathToFileURL } from 'node:url';
import { toIpcError } from '../util/errors.ts';
import { runnableModule } from '../util/module-path.ts';
import type { FromJob, JobFn, ToJob } from './protocol.ts';

const controller = new AbortController();

function send(m: FromJob): Promise<void> {
  return new Promise((resolve) => process.send!(m, undefined, undefined, () => resolve()));
}

process.on('message', (m: ToJob) => {
  if (m.type === 'cancel') controller.abort();
  else if (m.type === 'start') void start(m.module, m.params);
});

async function start(module: string, params: unknown): Promise<void> {
  let msg: FromJob;
  try {
    const mod = (await import(pathToFileURL(runnableModule(module)).href)) as { run?: JobFn };
    if (typeof mod.run !== 'function') throw new Error(`job module ${module} has no run() export`);
    const result = await mod.run(params, { signal: controller.signal, progress: (progress) => process.send!({ type: 'progress', progress } satisfies FromJob) });
    msg = controller.signal.aborted ? { type: 'cancelled' } : { type: 'done', result };
  } catch (e) {
    msg = controller.signal.aborted ? { type: 'cancelled' } : { type: 'failed', error: toIpcError(e) };
  }
  await send(msg);
  process.disconnect();
  // The host finishes a job when its process exits. Leave now rather than when the event loop
  // drains: the wasm backend's threads and Dawn's WebGPU instance keep it alive after the job.
  process.exit(0);
}
