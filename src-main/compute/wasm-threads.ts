/**
 * The multi-threaded tfjs wasm backend under Node (tfjs-backend-wasm 4.22).
 *
 * WHY: tfjs ships a threaded SIMD build, but turns it off under Node (tfjs issue 3830:
 * `WASM_HAS_MULTITHREAD_SUPPORT` is false when `IS_NODE`), so wasm ran on one core while PyTorch
 * used all of them. Three things stood between the shipped build and Node, found by running the
 * factory by hand:
 *   1. The loader hands the pthread workers a Blob URL, which a Node worker cannot load. The
 *      package's `wasm-out/*.worker.js` is *not* the worker either: it is a CommonJS module that
 *      exports the worker's source as a string (`wasmWorkerContents`), so a worker started from it
 *      does nothing, never posts "loaded", and the module never becomes ready (what was seen
 *      before). We write that string to a real file (escaping `\n` as tfjs's own Blob path does)
 *      and give emscripten file paths for the worker and for the main script it imports.
 *   2. With the module ready, the XNNPACK thread pool still had one thread: the C++ side clamps
 *      the requested count to `num_cores`, a static it fills at start-up with
 *      `emscripten_num_logical_cores() / 2` (it assumes two hyper-threads per core), so a 2-core
 *      machine got 1 thread and an 8-core laptop 4. The binary's static lives at a fixed address;
 *      we check that the three statics there hold the values the C++ computes (min 1, max 8,
 *      cores/2) and only then set `num_cores` to the requested count before the pool is created.
 *      Any other binary is left alone and runs with what it chose (a warning says so).
 *   3. The backend's own registration uses the Blob path, so we register `wasm` again with a
 *      factory that builds the module as above and hands it to the package's `BackendWasm`
 *      (kernels are registered by name, so every wasm kernel and our own wrappers apply).
 * The pool is used by XNNPACK kernels (matmul / fully connected, convolutions, binary ops); the
 * main thread takes part in every parallel section, so N threads = the caller + N−1 workers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Where the C++ statics of the 4.22.0 threaded-SIMD binary live (min, max, num_cores). */
const STATICS_4_22 = { min: 23200, max: 23204, numCores: 23568 } as const;
/** The XNNPACK pool keeps at most this many threads whatever is asked (the C++ `max_num_threads`). */
export const MAX_WASM_THREADS = 8;

export interface WasmThreadInfo {
  /** Threads the XNNPACK pool really has (read back from the module). */
  threads: number;
  requested: number;
  /** Why the count differs from the request, where it does. */
  note?: string;
}

let info: WasmThreadInfo | null = null;

/** The thread count asked for: `VOCAB_TUNER_THREADS`, else every core Node can use. */
export function requestedThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = (env.VOCAB_TUNER_THREADS ?? '').trim();
  if (raw !== '' && raw !== 'auto') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`VOCAB_TUNER_THREADS must be a whole number ≥ 1 or "auto", got "${raw}"`);
    }
    return Math.min(n, MAX_WASM_THREADS);
  }
  return Math.max(1, Math.min(os.availableParallelism(), MAX_WASM_THREADS));
}

/** What the running wasm backend uses; null before it started. */
export function wasmThreadInfo(): WasmThreadInfo | null {
  return info;
}

interface EmscriptenModule {
  HEAP32: Int32Array;
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread?: { unusedWorkers: unknown[]; runningWorkers: unknown[] };
  tfjs?: Record<string, unknown>;
}

type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** Writes the worker source once per content (several processes may race: write, then rename). */
function workerFile(source: string): string {
  const text = source.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(os.tmpdir(), `vocab-tuner-${process.getuid?.() ?? 'user'}`);
  const file = join(dir, `tfjs-wasm-threaded-${hash}.worker.cjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  }
  return file;
}

/**
 * Lets the pool have `threads` threads (see 2. above). Returns a note when the binary is not the
 * one whose layout we know, in which case nothing is written.
 */
function raiseCoreLimit(module: EmscriptenModule, threads: number, version: string): string | undefined {
  const h = module.HEAP32;
  const s = STATICS_4_22;
  const expectCores = Math.floor(os.cpus().length / 2);
  const ok = version === '4.22.0' && h[s.min / 4] === 1 && h[s.max / 4] === MAX_WASM_THREADS && h[s.numCores / 4] === expectCores;
  if (!ok) {
    return `tfjs-backend-wasm ${version}: unknown binary layout, thread count left to the library`;
  }
  h[s.numCores / 4] = threads;
  return undefined;
}

/**
 * Replaces tfjs's `wasm` backend registration with the threaded one. Call before
 * `tf.setBackend('wasm')`. With `threads` = 1 the single-threaded SIMD build is kept as it is
 * (no workers at all).
 */
export function registerThreadedWasm(threads: number): void {
  const pkg = require('@tensorflow/tfjs-backend-wasm') as {
    BackendWasm: new (m: unknown) => tf.KernelBackend;
    setThreadsCount(n: number): void;
    version_wasm: string;
  };
  if (threads <= 1) {
    info = { threads: 1, requested: threads };
    return;
  }
  const out = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
  const mainScript = join(out, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(mainScript) as Factory;
  const { wasmWorkerContents } = require(join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const worker = workerFile(wasmWorkerContents);
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    const module = await factory({
      locateFile: (p: string) => (p.endsWith('.worker.js') ? worker : join(out, p)),
      mainScriptUrlOrBlob: mainScript,
      // A failed start must reject, not print and hang.
      onAbort: (what: unknown) => {
        throw new Error(`the threaded wasm module aborted: ${String(what)}`);
      },
    });
    const note = raiseCoreLimit(module, threads, pkg.version_wasm);
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    pkg.setThreadsCount(threads);
    const backend = new pkg.BackendWasm(module);
    // The pool's threads wait on a futex for work for the life of the process; emscripten keeps
    // their workers referenced, so Node would never exit. Work is always driven from this thread,
    // which takes part in every parallel section, so the workers need not keep the process alive.
    for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) (w as { unref?: () => void }).unref?.();
    const actual = (module.tfjs.getThreadsCount as () => number)();
    info = { threads: actual, requested: threads, note: note ?? (actual !== threads ? `the pool started ${actual} of ${threads} threads` : undefined) };
    if (info.note) process.emitWarning(info.note, { code: 'VOCAB_TUNER_WASM_THREADS' });
    return backend;
  }, 2);
}
