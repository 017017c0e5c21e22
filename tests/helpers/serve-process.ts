/**
 * A real `vocab-tuner serve` process for the attack and end-to-end tests: started through the CLI (bin/vocab-tuner.mjs
 * serve --json) with its own data folder and Hugging Face cache, plus a raw API client that can
 * also misbehave (send bytes, binary frames, huge frames), a liveness check, a latency monitor
 * (app.info round trips every 50 ms: the serving loop's blocking shows up as latency) and the
 * server's peak RSS (VmHWM from /proc, Linux).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { decodeWire, encodeWire } from '../../src-main/ipc/wire.ts';
import { REPO_ROOT } from './reference.ts';

export interface ServeProcess {
  child: ChildProcess;
  /** The page's address with its token, as serve prints it. */
  url: string;
  port: number;
  token: string;
  tmp: string;
  stderr: () => string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Serve the built renderer (the end-to-end tests) instead of a one-line stub page (default). */
  renderer?: 'stub' | 'built';
  /** Prefix of the temporary folder (data, Hugging Face cache) under the OS temp dir. */
  prefix?: string;
  /** Extra environment for the server (e.g. VOCAB_TUNER_BACKEND). */
  env?: Record<string, string>;
}

/**
 * Starts serve on a free port with its own data folder and an empty, offline Hugging Face cache
 * (so pages show this machine's state reproducibly); resolves once it prints its address.
 */
export async function startServeProcess(o: ServeOptions = {}): Promise<ServeProcess> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), o.prefix ?? 'vt-attack-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_CACHE: path.join(tmp, 'hub'), HF_HUB_OFFLINE: '1', ...o.env };
  if (o.renderer !== 'built') {
    const renderer = path.join(tmp, 'renderer');
    fs.mkdirSync(renderer);
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Vocab Tuner</title>');
    env.VOCAB_TUNER_RENDERER_DIR = renderer;
  }
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/vocab-tuner.mjs'), 'serve', '--json', '--no-open', '--data-dir', path.join(tmp, 'data')], {
    cwd: REPO_ROOT, // so "node_modules/tsx" exists relative to the server's working directory
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-20000)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  const { url, port } = JSON.parse(line) as { url: string; port: number };
  return {
    child,
    url,
    port,
    token: new URL(url).searchParams.get('token')!,
    tmp,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export type Result = { ok: boolean; value?: any; error?: { code: string; message: string } };

export interface RawClient {
  ws: WebSocket;
  call(channel: string, ...args: unknown[]): Promise<Result>;
  /** Sends raw text (or bytes as a text or binary frame) and resolves with the next answer no call() waits for. */
  raw(data: string | Buffer, opts?: { binary?: boolean }): Promise<Result>;
  closed: Promise<{ code: number; reason: string }>;
}

export async function connect(sp: ServeProcess, opts: { host?: string; origin?: string } = {}): Promise<RawClient> {
  const headers: Record<string, string> = opts.host ? { host: opts.host } : {};
  const ws = new WebSocket(`ws://127.0.0.1:${sp.port}/api?token=${sp.token}`, { headers, origin: opts.origin ?? `http://127.0.0.1:${sp.port}`, maxPayload: 256 * 1024 * 1024 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_q, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
  ws.on('error', () => {}); // a test that makes the server close us expects the socket to fail
  const waiting = new Map<number, (r: Result) => void>();
  const orphans: ((r: Result) => void)[] = [];
  ws.on('message', (d) => {
    const m = decodeWire(d.toString()) as { id?: number; result?: Result };
    // Answers to raw sends: id -1 (unparsed) or an id no call() is waiting for.
    if (m.id === -1 || (m.id !== undefined && !waiting.has(m.id))) orphans.shift()?.(m.result!);
    else if (m.id !== undefined) {
      waiting.get(m.id)?.(m.result!);
      waiting.delete(m.id);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  let next = 1;
  return {
    ws,
    closed,
    call: (channel, ...args) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        ws.send(encodeWire({ id, channel, args }));
      }),
    raw: (data, o = {}) =>
      new Promise((resolve) => {
        orphans.push(resolve);
        ws.send(data, { binary: o.binary ?? false });
      }),
  };
}

/** The server answers app.info on a fresh connection. */
export async function alive(sp: ServeProcess): Promise<boolean> {
  if (sp.child.exitCode !== null) return false;
  const c = await connect(sp);
  const r = await c.call('app.info');
  c.ws.close();
  return r.ok === true && r.value.mode === 'browser';
}

/**
 * app.info round trips every 50 ms, from a separate process (latency-probe.ts); `max()` is the
 * worst latency seen since `reset()`.
 */
export async function latencyMonitor(sp: ServeProcess) {
  const child = fork(path.join(REPO_ROOT, 'tests/helpers/latency-probe.ts'), [String(sp.port), sp.token], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(m: string, want: (x: unknown) => boolean): Promise<T> =>
    new Promise((resolve) => {
      const on = (x: unknown) => {
        if (!want(x)) return;
        child.off('message', on);
        resolve(x as T);
      };
      child.on('message', on);
      if (m) child.send(m);
    });
  await ask('', (x) => x === 'ready');
  return {
    reset: () => ask<string>('reset', (x) => x === 'reset'),
    report: () => ask<{ max: number; samples: number }>('report', (x) => typeof x === 'object' && x !== null && 'max' in x),
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    },
  };
}

/** Peak resident memory of the process in MB (VmHWM), or null off Linux. */
export function peakRssMb(pid: number): number | null {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1]);
    return kb / 1024;
  } catch {
    return null;
  }
}
