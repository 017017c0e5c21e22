/**
 * @file Job processes in the desktop app as Electron utility processes. The packaged app's
 * RunAsNode fuse is off (electron-builder.yml), so Electron's binary can no longer be forked as
 * plain Node with ELECTRON_RUN_AS_NODE — which is exactly what stops someone else from using the
 * signed app binary as a Node interpreter. `utilityProcess.fork` is Electron's supported way to run
 * a Node child; this adapter gives it the shape the job host expects (jobs/host.ts JobProcess).
 */
import type { JobProcess, SpawnJob } from '../jobs/host.ts';
import type { FromJob, ToJob } from '../jobs/protocol.ts';
import type { UtilityProcessLike } from './electron-like.ts';

export function utilitySpawn(utilityProcess: UtilityProcessLike): SpawnJob {
  return (worker, o): JobProcess => {
    const p = utilityProcess.fork(worker, [], { execArgv: o.execArgv, env: o.env, serviceName: 'Vocab Tuner job', stdio: 'inherit' });
    let alive = true;
    p.on('exit', () => (alive = false));
    const adapter = {
      get pid() {
        return p.pid;
      },
      get connected() {
        return alive;
      },
      send: (m: ToJob) => p.postMessage(m),
      on(event: 'message' | 'exit', fn: (...a: never[]) => void) {
        // A utility process reports only an exit code; a kill shows as a non-zero code.
        if (event === 'exit') p.on('exit', (code: number) => (fn as (c: number | null, s: null) => void)(code, null));
        else p.on('message', (m: unknown) => (fn as (m: FromJob) => void)(m as FromJob));
        return adapter;
      },
      kill: () => p.kill(),
    };
    return adapter as JobProcess;
  };
}
