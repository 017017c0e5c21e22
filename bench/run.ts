/**
 * `npm run bench [-- --backends wasm,webgpu --sizes tiny,base --quick --no-profile]`
 *
 * Whisper at tiny and base dimensions with random weights (the timings do not depend on the
 * values), on each available backend: encoder forward on 30 s, 32 greedy tokens with the KV
 * cache, a decoder-LoRA step (batch 8 × 32 tokens, cached encoder output), a LoRA step through
 * encoder and decoder (batch 1 × 32), tensor count and RSS over 200 decoder-LoRA steps (tiny),
 * a per-kernel profile of the wasm encoder, and the store benchmark. Where `python3 -c 'import
 * torch'` works (or --python PATH), the PyTorch reference (bench/torch/) times the same shapes at
 * the same threads in the same run, after the tfjs rows (so the two never share the cores), and
 * the tables show ratios from it. Tables go to stdout, JSON to bench/results/<timestamp>.json and
 * bench/results/latest.json. Progress goes to stderr.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, probeBackends, switchBackend, type BackendName, type BackendProbe } from '../src-main/compute/backend.ts';
import { requestedThreads } from '../src-main/compute/wasm-threads.ts';
import { writeRandomCheckpoint, type WhisperPreset } from '../src-main/whisper/random-checkpoint.ts';
import { loadWhisper } from '../src-main/whisper/load.ts';
import { WhisperTokenizer } from '../src-main/whisper/tokenizer.ts';
import { benchStore } from './store.ts';
import { benchOneClick, type OneClickRun } from './one-click.ts';
import { amdahl, measureAtThreads, type ScalingRun } from './scaling.ts';
import { STAGES } from '../src-main/tuning/stages.ts';
import { DEFAULT_PYTHON, describeBlas, probeTorch, runTorchReference, type TorchProbe, type TorchRun } from './torch.ts';
import { benchEncoder, benchGreedy, benchLoraStep, benchMemory, profileEncoder, type MemoryRun, type Timing } from './whisper.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const GREEDY_TOKENS = 32;

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string' },
    sizes: { type: 'string', default: 'tiny,base' },
    quick: { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    'memory-steps': { type: 'string' },
    python: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    'one-click': { type: 'boolean' },
    'no-one-click': { type: 'boolean', default: false },
    'no-scaling': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: npm run bench [-- --backends wasm,cpu,webgpu,tensorflow] [--sizes tiny,base] [--quick] [--no-profile] [--memory-steps N] [--python PATH | --no-torch] [--one-click | --no-one-click] [--no-scaling]\n  --one-click: the Tune button preset on 48 espeak-ng clips per size (default on, off with --quick)');
  process.exit(0);
}
const quick = args.quick;
const reps = quick ? 1 : 5;
const budget = quick ? 5 : 30; // seconds of repeats per measurement after the warm-up
const memorySteps = Number(args['memory-steps'] ?? (quick ? 20 : 200));
const sizes = args.sizes.split(',').map((s) => s.trim()) as WhisperPreset[];
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
/** The thread count the wasm backend uses (VOCAB_TUNER_THREADS, else all cores); PyTorch gets the same. */
const threads = requestedThreads();

function machine(probes: BackendProbe[]) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpu: model,
    cores: os.cpus().length,
    ramGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage1m: os.loadavg()[0],
    backends: probes.map((p) => ({ name: p.name, label: p.label, available: p.available, device: p.device ?? null, detail: p.detail })),
  };
}

/** Which (backend, size) pairs run, and why others do not. */
function plan(probes: BackendProbe[]): { runs: { backend: BackendName; size: WhisperPreset }[]; skipped: string[] } {
  const asked = args.backends?.split(',').map((s) => s.trim() as BackendName);
  const runs: { backend: BackendName; size: WhisperPreset }[] = [];
  const skipped: string[] = [];
  for (const p of probes) {
    if (asked && !asked.includes(p.name)) continue;
    if (!p.available) {
      skipped.push(`${p.name}: not available (${p.detail})`);
      continue;
    }
    const software = p.name === 'webgpu' && !p.accelerated;
    for (const size of sizes) {
      // Without an explicit --backends: cpu and software WebGPU only at tiny (base takes minutes per row).
      if (!asked && size !== 'tiny' && (p.name === 'cpu' || software)) {
        skipped.push(`${p.name} at ${size}: skipped by default (too slow: ${p.name === 'cpu' ? 'pure-JS kernels' : 'SwiftShader runs WebGPU in software'}); ask with --backends ${p.name}`);
        continue;
      }
      runs.push({ backend: p.name, size });
    }
  }
  return { runs, skipped };
}

function label(p: BackendProbe): string {
  if (p.name === 'webgpu' && !p.accelerated) return 'WebGPU (SwiftShader, software)';
  return p.label + (p.device ? ` — ${p.device}` : '');
}

async function checkpointDir(size: WhisperPreset): Promise<string> {
  const dir = path.join(os.tmpdir(), 'vocab-tuner-bench', size);
  if (!existsSync(path.join(dir, 'config.json'))) {
    const tokenizerDir = path.resolve(REPO, '../shared/reference/tokenizer');
    if (!existsSync(tokenizerDir)) throw new Error(`the benchmark needs tokenizer files at ${tokenizerDir} (../shared/reference/tokenizer)`);
    log(`writing a random ${size} checkpoint to ${dir}`);
    await writeRandomCheckpoint(dir, { preset: size, tokenizerDir });
  }
  return dir;
}

interface Row {
  backend: BackendName;
  label: string;
  size: WhisperPreset;
  encoder?: Timing;
  greedy?: Timing;
  decoderLora?: Timing;
  /** Batch of the decoder-LoRA step (8 unless the backend cannot hold it). */
  decoderLoraBatch?: number;
  encDecLora?: Timing;
  memory?: MemoryRun;
  /** Why a measurement is missing, per measurement ("encoder", …) or "load". */
  errors: Record<string, string>;
}

/**
 * The wasm heap is 32-bit (4 GB) and never shrinks, and an out-of-memory abort leaves the wasm
 * module unusable for the rest of the process. Since the backward pass frees each gradient and
 * saved activation once used (compute/lean-backprop.ts), a decoder-LoRA step with batch 8 fits at
 * base (heap 3.2 GB with distillation; it ran out of the heap before, so the trainer split it into
 * micro-batches of 4); above base it is still measured at batch 4. The encoder+decoder step runs
 * at base since encoder blocks are recomputed in the backward pass (whisper/recompute.ts); larger
 * sizes skip it.
 */
const WASM_HEAP_LIMITED = (backend: BackendName, size: WhisperPreset) => backend === 'wasm' && size !== 'tiny' && size !== 'micro' && size !== 'base';
const WASM_ENCDEC_LIMITED = (backend: BackendName, size: WhisperPreset) => WASM_HEAP_LIMITED(backend, size);

const probes = await probeBackends();
const { runs, skipped } = plan(probes);
for (const s of skipped) log(s);
let initialised = false;
const rows: Row[] = [];
let profile: { kernel: string; ms: number; calls: number }[] | null = null;

for (const { backend, size } of runs) {
  const probe = probes.find((p) => p.name === backend)!;
  const row: Row = { backend, label: label(probe), size, errors: {} };
  /** Runs one measurement; a failure is recorded and the next measurement still runs. */
  const item = async <T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> => {
    log(`${backend} ${size}: ${name}`);
    try {
      return await fn();
    } catch (e) {
      row.errors[name] = (e as Error).message.split('\n')[0];
      log(`${backend} ${size}: ${name} failed: ${row.errors[name]}`);
      return undefined;
    }
  };
  rows.push(row);
  let model: Awaited<ReturnType<typeof loadWhisper>>['model'] | null = null;
  try {
    if (!initialised) await initBackend(backend);
    else await switchBackend(backend);
    initialised = true;
    const dir = await checkpointDir(size);
    const loaded = await loadWhisper(dir);
    model = loaded.model;
    const tok = loaded.tokenizer;
    const sot = tok.sotSequence({ language: tok.isMultilingual ? 'en' : undefined, task: 'transcribe', timestamps: false });
    const eot = tok.special.eot;
    const m = model;
    row.encoder = await item('encoder', () => benchEncoder(m, reps, budget));
    row.greedy = await item(`greedy ${GREEDY_TOKENS} tokens`, () => benchGreedy(m, sot, GREEDY_TOKENS, reps, budget));
    row.decoderLoraBatch = WASM_HEAP_LIMITED(backend, size) ? 4 : 8;
    row.decoderLora = await item('decoder-LoRA step', () => benchLoraStep(m, eot, { batch: row.decoderLoraBatch!, nTok: 32, stacks: ['decoder'] }, reps, budget));
    if (WASM_ENCDEC_LIMITED(backend, size)) row.errors['encoder+decoder LoRA step'] = 'skipped: exceeds the 4 GB wasm heap at this size';
    else row.encDecLora = await item('encoder+decoder LoRA step', () => benchLoraStep(m, eot, { batch: 1, nTok: 32, stacks: ['encoder', 'decoder'] }, reps, budget));
    if (size === 'tiny' && (backend === 'wasm' || probe.accelerated)) {
      row.memory = await item(`${memorySteps} decoder-LoRA steps (batch 1 × 32)`, () => benchMemory(m, eot, memorySteps, 1, 32));
    }
    if (backend === 'wasm' && size === 'tiny' && !args['no-profile']) {
      profile = (await item('per-kernel encoder profile', () => profileEncoder(m))) ?? null;
    }
  } catch (e) {
    row.errors.load = (e as Error).message.split('\n')[0];
    log(`${backend} ${size} failed: ${row.errors.load}`);
  } finally {
    model?.dispose();
  }
}

// ---- PyTorch reference, same shapes and threads, after the tfjs rows --------------------------
const torchProbe: TorchProbe = args['no-torch']
  ? { python: args.python ?? DEFAULT_PYTHON, available: false, detail: 'not run (--no-torch)' }
  : probeTorch(args.python ?? DEFAULT_PYTHON);
const torchRuns: Partial<Record<WhisperPreset, TorchRun>> = {};
const torchErrors: Partial<Record<WhisperPreset, string>> = {};
if (!torchProbe.available) log(`PyTorch: ${torchProbe.detail}`);
else {
  for (const size of [...new Set(rows.filter((r) => !r.errors.load).map((r) => r.size))]) {
    log(`PyTorch ${size} (${torchProbe.detail}, ${threads} threads)`);
    try {
      const dir = await checkpointDir(size);
      const tok = await WhisperTokenizer.fromDir(dir);
      // The decoder-LoRA batches the tfjs rows used (4 where the wasm heap limits base), so every
      // ratio compares the same shape.
      const batches = [...new Set([8, ...rows.filter((r) => r.size === size && r.decoderLoraBatch).map((r) => r.decoderLoraBatch!)])];
      torchRuns[size] = await runTorchReference({
        python: torchProbe.python, checkpoint: dir, threads, reps, budget, greedyTokens: GREEDY_TOKENS, decoderBatches: batches,
        sot: tok.sotSequence({ language: tok.isMultilingual ? 'en' : undefined, task: 'transcribe', timestamps: false }),
        eot: tok.special.eot, log: (line) => process.stderr.write(`${line}\n`),
      });
    } catch (e) {
      torchErrors[size] = (e as Error).message.split('\n')[0];
      log(`PyTorch ${size} failed: ${torchErrors[size]}`);
    }
  }
}

// ---- thread scaling (wasm): the same rows at 1 thread, in child processes ----------------------
const scaling: { size: WhisperPreset; one: ScalingRun; batch: number }[] = [];
const wasmRows = rows.filter((r) => r.backend === 'wasm' && !r.errors.load && r.encoder && r.decoderLora);
if (!args['no-scaling'] && threads > 1) {
  for (const r of wasmRows) {
    log(`thread scaling ${r.size}: 1 thread (the main rows ran at ${threads})`);
    try {
      scaling.push({ size: r.size, batch: r.decoderLoraBatch!, one: await measureAtThreads(await checkpointDir(r.size), 1, r.decoderLoraBatch!, reps, budget) });
    } catch (e) {
      log(`thread scaling ${r.size} failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

// ---- one click: the Tune button's preset end to end, per size -----------------------------------
const oneClick: OneClickRun[] = [];
const oneClickErrors: string[] = [];
if (!args['no-one-click'] && (args['one-click'] ?? !quick)) {
  for (const size of sizes) {
    log(`one-click ${size}: the Tune button's preset on 48 espeak-ng clips, wasm, ${threads} threads`);
    try {
      oneClick.push(await benchOneClick(size, await checkpointDir(size), threads, log));
    } catch (e) {
      oneClickErrors.push(`${size}: ${(e as Error).message.split('\n')[0]}`);
      log(`one-click ${size} failed: ${oneClickErrors.at(-1)}`);
    }
  }
}

log('store benchmark (10 000 clip rows)');
const store = await benchStore();

// ---- report ----------------------------------------------------------------------------------
const m = machine(probes);
const f = (x: number | undefined, d = 2) => (x === undefined ? '—' : x.toFixed(d));
const table = (title: string, head: string[], body: string[][]) => {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  console.log(`\n${title}\n`);
  console.log(`| ${head.map((h, i) => h.padEnd(w[i])).join(' | ')} |`);
  console.log(`|${w.map((x, i) => (i < 2 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|')}|`);
  for (const r of body) console.log(`| ${r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`);
};
/** The PyTorch timing of the same measurement and size from this run (key as bench_torch.py's). */
const torchOf = (size: WhisperPreset, key: string): Timing | undefined => torchRuns[size]?.results[key];
const ref = (size: WhisperPreset, key: string) => f(torchOf(size, key)?.wall);
const ratio = (t: Timing | undefined, size: WhisperPreset, key: string) => {
  const p = torchOf(size, key);
  return t && p ? `${(t.wall / p.wall).toFixed(1)}×` : '—';
};

console.log(`Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, Node ${m.node}, ${m.platform}; load average ${m.loadAverage1m.toFixed(1)} at the end (shared machine).`);
console.log(`Backends: ${m.backends.map((b) => `${b.name}${b.available ? (b.device ? ` (${b.device})` : '') : ' (unavailable)'}`).join(', ')}`);
console.log(`Medians of up to ${reps} runs after one warm-up (fewer when a run is slow); wall s and process CPU s.${quick ? ' QUICK MODE: one run each.' : ''}`);
for (const s of skipped) console.log(`Skipped: ${s}`);
const ok = rows.filter((r) => !r.errors.load);
for (const r of rows) for (const [what, why] of Object.entries(r.errors)) console.log(`Not measured: ${r.backend} ${r.size} ${what}: ${why}`);
if (!torchProbe.available) console.log(`PyTorch: not measured — ${torchProbe.detail}. The PyTorch columns say —.`);
for (const [size, run] of Object.entries(torchRuns)) {
  console.log(`PyTorch ${size}: torch ${run.torch} on ${run.device.type}${run.device.name ? ` (${run.device.name})` : ''}, ${run.threads} threads, BLAS ${describeBlas(run.blas)}` +
    (run.unsetEnv.length ? `; ${run.unsetEnv.join(' and ')} unset for the torch subprocess only` : ''));
  for (const w of run.blas.warnings) console.log(`PyTorch ${size}: WARNING: ${w}`);
  for (const [what, why] of Object.entries(run.errors)) console.log(`PyTorch ${size}: not measured: ${what}: ${why}`);
}
for (const [size, why] of Object.entries(torchErrors)) console.log(`PyTorch ${size}: failed — ${why}`);

table('Encoder forward, 30 s of audio (s)', ['size', 'backend', 'wall', 'cpu', 'runs', 'PyTorch (same run)', 'vs PyTorch'],
  ok.map((r) => [r.size, r.label, f(r.encoder?.wall), f(r.encoder?.cpu), String(r.encoder?.runs ?? '—'), ref(r.size, 'encoder'), ratio(r.encoder, r.size, 'encoder')]));
table(`Greedy decoding, ${GREEDY_TOKENS} tokens with the KV cache (s)`, ['size', 'backend', 'total', 'per token (ms)', 'cpu', 'PyTorch (same run)', 'vs PyTorch'],
  ok.map((r) => [r.size, r.label, f(r.greedy?.wall), f(r.greedy ? (r.greedy.wall / GREEDY_TOKENS) * 1000 : undefined, 1), f(r.greedy?.cpu), ref(r.size, 'greedy'), ratio(r.greedy, r.size, 'greedy')]));
table('Decoder-LoRA training step, batch 8 × 32 tokens, cached encoder output (s)', ['size', 'backend', 'batch', 'wall', 'cpu', 'runs', 'PyTorch (same run)', 'vs PyTorch'],
  ok.map((r) => [r.size, r.label, String(r.decoderLoraBatch ?? '—'), f(r.decoderLora?.wall), f(r.decoderLora?.cpu), String(r.decoderLora?.runs ?? '—'), ref(r.size, `decoderLora:${r.decoderLoraBatch}`), ratio(r.decoderLora, r.size, `decoderLora:${r.decoderLoraBatch}`)]));
table('LoRA step through encoder and decoder, batch 1 × 32 tokens (s)', ['size', 'backend', 'wall', 'cpu', 'runs', 'PyTorch (same run)', 'vs PyTorch'],
  ok.map((r) => [r.size, r.label, f(r.encDecLora?.wall), f(r.encDecLora?.cpu), String(r.encDecLora?.runs ?? '—'), ref(r.size, 'encDecLora'), ratio(r.encDecLora, r.size, 'encDecLora')]));
const mem = ok.filter((r) => r.memory);
if (mem.length) {
  table(`Memory over ${memorySteps} decoder-LoRA steps (tiny, batch 1 × 32 — smaller than 8 to keep the run short)`, ['size', 'backend', 'tensors before', 'tensors after', 'RSS after step 1 (MB)', `RSS after step ${memorySteps} (MB)`, 's/step'],
    mem.map((r) => [r.size, r.label, String(r.memory!.tensorsBefore), String(r.memory!.tensorsAfter), f(r.memory!.rssAfterFirstMb, 0), f(r.memory!.rssAfterMb, 0), f(r.memory!.secPerStep)]));
}
if (profile) {
  const total = profile.reduce((a, p) => a + p.ms, 0);
  table('Where the wasm tiny encoder spends its time (tf.profile kernel time, one forward)', ['kernel', 'calls', 'ms', 'share'],
    profile.slice(0, 10).map((p) => [p.kernel, String(p.calls), p.ms.toFixed(0), `${((p.ms / total) * 100).toFixed(1)}%`]));
}
if (scaling.length) {
  const cores = 8;
  table(`Thread scaling, wasm: 1 vs ${threads} threads measured here; ${cores} cores is a projection (Amdahl from the measured speed-up), not a measurement`,
    ['size', 'measurement', '1 thread (s)', `${threads} threads (s)`, 'speed-up', `projected at ${cores} (s)`],
    scaling.flatMap(({ size, one, batch }) => {
      const row = rows.find((r) => r.backend === 'wasm' && r.size === size)!;
      return ([['encoder 30 s', one.encoder, row.encoder!], [`decoder-LoRA step b${batch}`, one.decoderLora, row.decoderLora!]] as const).map(([what, a, b]) => {
        const s = a.wall / b.wall;
        return [size, what, f(a.wall), f(b.wall), `${s.toFixed(2)}×`, f(a.wall / amdahl(s, threads, cores))];
      });
    }));
}
for (const e of oneClickErrors) console.log(`Not measured: one-click ${e}`);
if (oneClick.length) {
  table(`One click: the Tune button's preset (LoRA r8, 5 epochs, distillation) on 48 espeak-ng clips (30 train, 4 validation, 14 general), wasm, ${threads} threads — wall time by stage (s)`,
    ['size', 'steps', 'encoder passes', ...STAGES, 'total'],
    oneClick.map((o) => [o.size, String(o.steps), String(o.encoderPasses), ...STAGES.map((k) => f(o.stages[k], 1)), `${f(o.wallSec, 0)} (${(o.wallSec / 60).toFixed(1)} min)`]));
}
const storeOps = Object.keys(store).filter((k) => k.endsWith('_ms') && !k.endsWith('_cpu_ms'));
table(`Store, ${store.clips} clip rows (ms)`, ['operation', 'wall', 'cpu'], storeOps.map((k) => [k.slice(0, -3), store[k].toFixed(1), store[k.replace(/_ms$/, '_cpu_ms')].toFixed(1)]));

const result = { at: new Date().toISOString(), quick, reps, machine: m, skipped, threads, scaling, oneClick, oneClickErrors, pytorch: { probe: torchProbe, runs: torchRuns, errors: torchErrors }, greedyTokens: GREEDY_TOKENS, rows, profile, store };
const outDir = path.join(HERE, 'results');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`\nJSON: ${path.relative(process.cwd(), file)} (and bench/results/latest.json)`);
// The threaded wasm backend's pthread workers (and Dawn's device) would keep Node alive.
process.exit(0);

