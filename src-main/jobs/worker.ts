/**
 * @file Entry point of a job process (forked by host.ts, with tsx loaded when run from the sources).
 * Imports the job module named by the host (its compiled .js in the desktop app), runs its `run` export once, reports, and exits.
 */
import { pathToFileURL } from 'node:url';
import { toIpcError } from '../util/errors.ts';
import { runnableModule } from '../util/module-path.ts';
import type { FromJob, JobFn, ToJob } from './protocol.ts';

const controller = new AbortController();

/**
 * In Electron's utility process (the packaged app, RunAsNode fuse off) messages go through
 * `process.parentPort`; in a Node child (the CLI, `serve`, development) through `process.send`.
 */
const parentPort = (process as unknown as { parentPort?: { on(e: 'message', fn: (ev: { data: ToJob }) => void): void; postMessage(m: unknown): void } }).parentPort;

function post(m: FromJob): void {
  if (parentPort) parentPort.postMessage(m);
  else process.send!(m);
}

function send(m: FromJob): Promise<void> {
  // postMessage has no delivery callback: give the message a moment to leave before exit().
  if (parentPort) return new Promise((resolve) => (parentPort.postMessage(m), setTimeout(resolve, 100)));
  return new Promise((resolve) => process.send!(m, undefined, undefined, () => resolve()));
}

function onMessage(m: ToJob): void {
  if (m.type === 'cancel') controller.abort();
  else if (m.type === 'start') void start(m.module, m.params);
}
if (parentPort) parentPort.on('message', (ev) => onMessage(ev.data));
else process.on('message', onMessage);

async function start(module: string, params: unknown): Promise<void> {
  let msg: FromJob;
  try {
    const mod = (await import(pathToFileURL(runnableModule(module)).href)) as { run?: JobFn };
    if (typeof mod.run !== 'function') throw new Error(`job module ${module} has no run() export`);
    const result = await mod.run(params, { signal: controller.signal, progress: (progress) => post({ type: 'progress', progress }) });
    msg = controller.signal.aborted ? { type: 'cancelled' } : { type: 'done', result };
  } catch (e) {
    msg = controller.signal.aborted ? { type: 'cancelled' } : { type: 'failed', error: toIpcError(e) };
  }
  await send(msg);
  if (!parentPort) process.disconnect();
  // The host finishes a job when its process exits. Leave now rather than when the event loop
  // drains: the wasm backend's threads and Dawn's WebGPU instance keep it alive after the job.
  process.exit(0);
}
