/**
 * The GPU benchmark of the portable bundle (bench/gpu/build.ts): the measurements of
 * bench/whisper.ts on WebGPU (Dawn; Vulkan on the NVIDIA driver), then the PyTorch reference
 * (CUDA where torch.cuda is available) on the same card and the same shapes, into one JSON.
 *
 *   node bench.mjs [--sizes tiny,base] [--quick] [--out result.json] [--python python3]
 *                  [--torch-device auto|cuda|cpu] [--no-torch] [--tokenizer DIR]
 *
 * Random weights (a checkpoint written at run time; timings do not depend on the values). It
 * also runs from the repository (`node --import tsx bench/gpu/entry.ts`), which is how it is
 * checked on a machine without a GPU (SwiftShader: software Vulkan; those numbers are labelled
 * software and are not GPU numbers).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, probeBackends } from '../../src-main/compute/backend.ts';
import { loadWhisper } from '../../src-main/whisper/load.ts';
import { writeRandomCheckpoint, type WhisperPreset } from '../../src-main/whisper/random-checkpoint.ts';
import { describeBlas, probeTorch, runTorchReference, type TorchRun } from '../torch.ts';
import { benchEncoder, benchGreedy, benchLoraStep, type Timing } from '../whisper.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GREEDY_TOKENS = 32;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'tiny,base' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'gpu-bench-result.json' },
    python: { type: 'string', default: 'python3' },
    'torch-device': { type: 'string', default: 'auto' },
    'no-torch': { type: 'boolean', default: false },
    tokenizer: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: bench.mjs [--sizes tiny,base] [--quick] [--out FILE] [--python PATH] [--torch-device auto|cuda|cpu] [--no-torch] [--tokenizer DIR]');
  process.exit(0);
}
const reps = args.quick ? 1 : 5;
const budget = args.quick ? 5 : 30;
const sizes = args.sizes.split(',').map((s) => s.trim()) as WhisperPreset[];
const log = (msg: string) => process.stderr.write(`[gpu-bench] ${msg}\n`);
// Bundled: tokenizer/ sits beside bench.mjs. From the repository: ../shared/reference/tokenizer.
const tokenizerDir = args.tokenizer ?? [path.join(HERE, 'tokenizer'), path.resolve(HERE, '../../../shared/reference/tokenizer')].find((d) => existsSync(d));
if (!tokenizerDir) throw new Error('no tokenizer files: pass --tokenizer DIR');

interface Row {
  size: WhisperPreset;
  encoder?: Timing;
  greedy?: Timing;
  decoderLora?: Timing;
  encDecLora?: Timing;
  errors: Record<string, string>;
}

const probes = await probeBackends();
const webgpu = probes.find((p) => p.name === 'webgpu')!;
log(`WebGPU: ${webgpu.available ? webgpu.device : 'unavailable'} — ${webgpu.detail}`);
const rows: Row[] = [];
const sots = new Map<WhisperPreset, { sot: number[]; eot: number; dir: string }>();
const workDir = path.join(os.tmpdir(), 'vocab-tuner-gpu-bench');

for (const size of sizes) {
  const dir = path.join(workDir, size);
  if (!existsSync(path.join(dir, 'config.json'))) {
    log(`writing a random ${size} checkpoint to ${dir}`);
    mkdirSync(dir, { recursive: true });
    await writeRandomCheckpoint(dir, { preset: size, tokenizerDir });
  }
  const row: Row = { size, errors: {} };
  rows.push(row);
  if (!webgpu.available) {
    row.errors.load = `WebGPU unavailable: ${webgpu.detail}`;
    continue;
  }
  /** One measurement; a failure (e.g. out of GPU memory) is recorded and the next one runs. */
  const item = async (name: string, fn: () => Promise<Timing>): Promise<Timing | undefined> => {
    log(`webgpu ${size}: ${name}`);
    try {
      return await fn();
    } catch (e) {
      row.errors[name] = (e as Error).message.split('\n')[0];
      log(`webgpu ${size}: ${name} failed: ${row.errors[name]}`);
      return undefined;
    }
  };
  try {
    await initBackend('webgpu');
    const { model, tokenizer } = await loadWhisper(dir);
    const sot = tokenizer.sotSequence({ language: tokenizer.isMultilingual ? 'en' : undefined, task: 'transcribe', timestamps: false });
    sots.set(size, { sot, eot: tokenizer.special.eot, dir });
    try {
      row.encoder = await item('encoder', () => benchEncoder(model, reps, budget));
      row.greedy = await item('greedy', () => benchGreedy(model, sot, GREEDY_TOKENS, reps, budget));
      row.decoderLora = await item('decoderLora', () => benchLoraStep(model, tokenizer.special.eot, { batch: 8, nTok: 32, stacks: ['decoder'] }, reps, budget));
      row.encDecLora = await item('encDecLora', () => benchLoraStep(model, tokenizer.special.eot, { batch: 1, nTok: 32, stacks: ['encoder', 'decoder'] }, reps, budget));
    } finally {
      model.dispose();
    }
  } catch (e) {
    row.errors.load = (e as Error).message.split('\n')[0];
    log(`webgpu ${size} failed: ${row.errors.load}`);
  }
}

// PyTorch after WebGPU, so the two never share the card.
const torchProbe = args['no-torch'] ? { python: args.python, available: false, detail: 'not run (--no-torch)' } : probeTorch(args.python);
const torchRuns: Partial<Record<WhisperPreset, TorchRun>> = {};
const torchErrors: Partial<Record<WhisperPreset, string>> = {};
if (!torchProbe.available) log(`PyTorch: ${torchProbe.detail}`);
for (const size of torchProbe.available ? sizes : []) {
  const s = sots.get(size) ?? { sot: [50258, 50259, 50359, 50363], eot: 50257, dir: path.join(workDir, size) };
  try {
    torchRuns[size] = await runTorchReference({
      python: torchProbe.python, checkpoint: s.dir, threads: os.availableParallelism(), device: args['torch-device'] as 'auto' | 'cuda' | 'cpu',
      reps, budget, sot: s.sot, eot: s.eot, greedyTokens: GREEDY_TOKENS, decoderBatches: [8], log: (l) => process.stderr.write(`${l}\n`),
    });
  } catch (e) {
    torchErrors[size] = (e as Error).message.split('\n')[0];
    log(`PyTorch ${size} failed: ${torchErrors[size]}`);
  }
}

const result = {
  at: new Date().toISOString(),
  quick: args.quick,
  reps,
  greedyTokens: GREEDY_TOKENS,
  machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), ramGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
  webgpu: { available: webgpu.available, device: webgpu.device ?? null, software: webgpu.available && !webgpu.accelerated, detail: webgpu.detail, vkIcd: process.env.VK_ICD_FILENAMES ?? null },
  rows,
  pytorch: { probe: torchProbe, runs: torchRuns, errors: torchErrors },
};
writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');

const f = (t?: { wall: number }) => (t ? t.wall.toFixed(3) : '—');
if (result.webgpu.software) console.log('NOTE: the WebGPU adapter is SOFTWARE (SwiftShader/llvmpipe): these are not GPU numbers.');
console.log(`WebGPU: ${webgpu.device ?? 'unavailable'}`);
for (const [size, run] of Object.entries(torchRuns)) console.log(`PyTorch ${size}: torch ${run.torch} on ${run.device.type} (${run.device.name ?? '?'}), BLAS ${describeBlas(run.blas)}`);
console.log('| size | measurement | WebGPU s | PyTorch s | ratio |\n|---|---|---:|---:|---:|');
for (const r of rows) {
  const t = torchRuns[r.size]?.results;
  for (const [name, ours, key] of [['encoder 30 s', r.encoder, 'encoder'], [`greedy ${GREEDY_TOKENS} tokens`, r.greedy, 'greedy'], ['decoder-LoRA b8×32', r.decoderLora, 'decoderLora:8'], ['enc+dec LoRA b1×32', r.encDecLora, 'encDecLora']] as const) {
    const p = t?.[key];
    console.log(`| ${r.size} | ${name} | ${f(ours)} | ${f(p)} | ${ours && p ? (ours.wall / p.wall).toFixed(2) + '×' : '—'} |`);
  }
}
console.log(`JSON: ${path.resolve(args.out)}`);
// Dawn's device and any worker threads must not keep the process alive once the JSON is out.
process.exit(0);
