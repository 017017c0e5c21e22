/**
 * LoRA adapters in Hugging Face PEFT's on-disk layout (whisper-spec §6), written so that
 * `PeftModel.from_pretrained(WhisperForConditionalGeneration…, dir)` loads them unchanged, and
 * read back (ours or any PEFT Whisper adapter) with every name and shape checked.
 *
 *   dir/adapter_config.json        json.dumps(config, indent=2, sort_keys=True), as PEFT writes it
 *   dir/adapter_model.safetensors  metadata {"format":"pt"};
 *     base_model.model.<module>.lora_A.weight  [r, in]
 *     base_model.model.<module>.lora_B.weight  [out, r]
 * where <module> is the HF module path, e.g. model.decoder.layers.0.self_attn.q_proj.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { tempSibling } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import type { WhisperDims } from '../whisper/config.ts';
import { readSafetensors, writeSafetensors } from '../whisper/safetensors.ts';
import { linearModules, type LoraAdapter } from './lora.ts';

export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

/** A host tensor: row-major float32 data with its shape. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** One adapted linear module: A [r, in], B [out, r], and its own alpha/r (rank/alpha patterns). */
export interface HostLoraPair {
  A: HostTensor;
  B: HostTensor;
  scaling: number;
}

export interface PeftAdapter {
  dir: string;
  /** adapter_config.json as read (unknown keys kept). */
  config: Record<string, unknown>;
  rank: number;
  alpha: number;
  useRslora: boolean;
  /** The default scaling (lora_alpha / r, or / √r with rsLoRA); each pair carries its own. */
  scaling: number;
  /** HF module name (no ".weight") → pair. */
  pairs: Map<string, HostLoraPair>;
  baseModel: string | null;
}

export class AdapterError extends UserError {
  constructor(message: string) {
    super('ADAPTER_INVALID', message);
    this.name = 'AdapterError';
  }
}

/** Python's json.dumps(..., indent=2, sort_keys=True): sorted keys at every level, non-ASCII escaped. */
export function pythonJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * PEFT's `target_modules` for exactly these modules. A LIST in PEFT matches a module whose name
 * ends with "." + entry in EVERY stack, so ["q_proj", "v_proj"] on a decoder-only adapter would
 * make PEFT create (zero-initialised, then missing-key-warned) LoRA layers on the encoder's
 * projections too. A STRING is matched with re.fullmatch against each module name, so when the
 * list would over-match we write a regex that fullmatches the adapted names and nothing else
 * (e.g. `.*decoder\.layers\.\d+\.(self_attn\.q_proj|...)`). The result is checked against every
 * linear module of the model; if the compact form is not exact, the names are listed verbatim.
 */
export function peftTargetModules(adapted: string[], dims: WhisperDims): string[] | string {
  const all = [...linearModules(dims).keys()];
  const want = new Set(adapted);
  const exact = (matches: (name: string) => boolean) => all.every((n) => matches(n) === want.has(n));

  const suffixes = [...new Set(adapted.map((n) => n.split('.').pop()!))].sort();
  if (exact((n) => suffixes.some((s) => n === s || n.endsWith('.' + s)))) return suffixes;

  const byStack = new Map<string, Set<string>>();
  for (const n of adapted) {
    const m = /^model\.(encoder|decoder)\.layers\.\d+\.(.+)$/.exec(n);
    if (!m) continue;
    if (!byStack.has(m[1])) byStack.set(m[1], new Set());
    byStack.get(m[1])!.add(m[2]);
  }
  const parts = [...byStack].sort().map(([stack, tails]) => `${stack}\\.layers\\.\\d+\\.(${[...tails].sort().map(esc).join('|')})`);
  const compact = parts.length === 1 ? `.*${parts[0]}` : `.*(${parts.join('|')})`;
  const re = new RegExp(`^(?:${compact})$`);
  if (exact((n) => re.test(n))) return compact;
  return `(${[...adapted].sort().map(esc).join('|')})`;
}

/** The config keys PEFT (0.9 … current) knows for LoRA; unknown keys would be dropped with a warning. */
function peftConfig(o: { rank: number; alpha: number; dropout: number; useRslora: boolean; targetModules: string[] | string; baseModel: string }): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: o.baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: o.rank,
    rank_pattern: {},
    revision: null,
    target_modules: o.targetModules,
    task_type: null,
    use_dora: false,
    use_rslora: o.useRslora,
  };
}

/** Writes files into a fresh temporary sibling folder, then renames it over `dir` (never half-written). */
export async function writeFolderAtomically(dir: string, fill: (tmp: string) => Promise<void>, overwrite = false): Promise<void> {
  dir = resolve(dir);
  const existing = await stat(dir).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new UserError('OUTPUT_EXISTS', `${dir} exists and is not a folder; choose another --out`);
  if (existing && !overwrite) {
    const { readdir } = await import('node:fs/promises');
    if ((await readdir(dir)).length > 0) throw new UserError('OUTPUT_EXISTS', `${dir} already exists and is not empty; choose another --out or remove it`);
  }
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tempSibling(dir);
  await mkdir(tmp);
  try {
    await fill(tmp);
    if (existing) {
      const old = `${tmp}.old`;
      await rename(dir, old);
      await rename(tmp, dir);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, dir);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface PeftWriteOptions {
  /** base_model_name_or_path: a Hub id ("openai/whisper-tiny.en") or the base folder. */
  baseModel: string;
  /** Replace an existing non-empty folder. */
  overwrite?: boolean;
}

/**
 * Writes host pairs as a PEFT adapter. All pairs must share one rank and `scaling` (as ours do);
 * `scale` multiplies B, so an adapter exported at scale s behaves like ours at --adapter-scale s.
 */
export async function writePeftPairs(
  pairs: Map<string, HostLoraPair>,
  meta: { rank: number; alpha: number; dropout: number; useRslora: boolean; dims: WhisperDims },
  dir: string,
  opts: PeftWriteOptions & { scale?: number },
): Promise<void> {
  const scale = opts.scale ?? 1;
  const tensors = new Map<string, HostTensor>();
  for (const [module, p] of pairs) {
    if (p.A.shape[0] !== meta.rank) throw new Error(`${module}: rank ${p.A.shape[0]} differs from the adapter's r=${meta.rank}`);
    tensors.set(`${PREFIX}${module}.lora_A.weight`, p.A);
    tensors.set(`${PREFIX}${module}.lora_B.weight`, scale === 1 ? p.B : { shape: p.B.shape, data: p.B.data.map((v) => v * scale) });
  }
  const config = peftConfig({ ...meta, targetModules: peftTargetModules([...pairs.keys()], meta.dims), baseModel: opts.baseModel });
  await writeFolderAtomically(dir, async (tmp) => {
    await writeSafetensors(join(tmp, PEFT_WEIGHTS_FILE), tensors, { format: 'pt' });
    await writeFile(join(tmp, PEFT_CONFIG_FILE), pythonJson(config));
  }, opts.overwrite);
}

/** Host copies of a trained adapter's matrices. */
export async function adapterPairs(adapter: LoraAdapter): Promise<Map<string, HostLoraPair>> {
  const out = new Map<string, HostLoraPair>();
  for (const [module, { A, B }] of adapter.modules) {
    out.set(module, {
      A: { shape: [...A.shape], data: (await A.data()) as Float32Array },
      B: { shape: [...B.shape], data: (await B.data()) as Float32Array },
      scaling: adapter.scaling,
    });
  }
  return out;
}

/** Exports a trained LoraAdapter in PEFT layout. `opts.dims` are the base model's (for target_modules). */
export async function writePeftAdapter(adapter: LoraAdapter, dir: string, opts: PeftWriteOptions & { dims: WhisperDims }): Promise<void> {
  const c = adapter.config;
  await writePeftPairs(await adapterPairs(adapter), { rank: c.rank, alpha: c.alpha, dropout: c.dropout, useRslora: c.useRslora, dims: opts.dims }, dir, opts);
}

/** PEFT's get_pattern_key: the first pattern key k with re.match(`(.*\.)?(k)$`, module). */
function patternValue(pattern: unknown, module: string): number | undefined {
  if (!pattern || typeof pattern !== 'object') return undefined;
  for (const [k, v] of Object.entries(pattern)) {
    if (typeof v === 'number' && new RegExp(`^(.*\\.)?(${k})$`).test(module)) return v;
  }
  return undefined;
}

/**
 * Reads and validates a PEFT LoRA adapter folder. With `dims`, every module must be a linear
 * layer of that model and A/B must fit it. Throws AdapterError (ADAPTER_INVALID) naming the file
 * and the tensor or field.
 */
export async function readPeftAdapter(dir: string, dims?: WhisperDims): Promise<PeftAdapter> {
  dir = resolve(dir);
  const cfgFile = join(dir, PEFT_CONFIG_FILE);
  const bad = (file: string, what: string) => new AdapterError(`${file}: ${what}. Export the adapter again from a LoRA run (or check it is a PEFT LoRA adapter for Whisper).`);
  let config: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readFile(cfgFile, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    config = parsed as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw bad(cfgFile, code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`);
  }
  if (config.peft_type !== 'LORA') throw bad(cfgFile, `field "peft_type" is ${JSON.stringify(config.peft_type)}; only "LORA" adapters are supported`);
  const rank = config.r;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) throw bad(cfgFile, `field "r" must be a positive integer, got ${JSON.stringify(rank)}`);
  const alpha = config.lora_alpha ?? 8; // PEFT's LoraConfig default
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw bad(cfgFile, `field "lora_alpha" must be a number, got ${JSON.stringify(alpha)}`);
  if (config.fan_in_fan_out === true) throw bad(cfgFile, 'field "fan_in_fan_out" is true, which is for GPT-2 style Conv1D layers; Whisper uses Linear layers');
  if (config.use_dora === true) throw bad(cfgFile, 'field "use_dora" is true; DoRA adapters are not supported');
  if (config.bias !== undefined && config.bias !== 'none') throw bad(cfgFile, `field "bias" is ${JSON.stringify(config.bias)}; only "none" is supported`);
  const useRslora = config.use_rslora === true;
  const scalingFor = (r: number, a: number) => (useRslora ? a / Math.sqrt(r) : a / r);

  const wFile = join(dir, PEFT_WEIGHTS_FILE);
  if (!(await stat(wFile).then((s) => s.isFile(), () => false))) {
    const hasBin = await stat(join(dir, 'adapter_model.bin')).then(() => true, () => false);
    throw bad(wFile, hasBin ? 'is missing (adapter_model.bin is a PyTorch pickle, which this app does not load; save with safe_serialization=True)' : 'is missing');
  }
  let raw: Map<string, { shape: number[]; data: Float32Array }>;
  try {
    raw = await readSafetensors(wFile);
  } catch (e) {
    throw new AdapterError((e as Error).message);
  }
  const linear = dims ? linearModules(dims) : undefined;
  const halves = new Map<string, { A?: HostTensor; B?: HostTensor }>();
  for (const [name, t] of raw) {
    // PEFT drops the adapter name on save; tolerate a ".default" left in by hand-made files.
    const m = /^base_model\.model\.(.+)\.lora_(A|B)(?:\.default)?\.weight$/.exec(name);
    if (!m) throw bad(wFile, `tensor "${name}" is not a LoRA matrix (expected base_model.model.<module>.lora_A.weight / lora_B.weight; modules_to_save, biases and embeddings are not supported)`);
    const [, module, which] = m;
    if (linear && !linear.has(module)) throw bad(wFile, `tensor "${name}" adapts "${module}", which is not a linear layer of this Whisper model (different model size?)`);
    if (t.shape.length !== 2) throw bad(wFile, `tensor "${name}" has shape [${t.shape.join(', ')}]; LoRA matrices are 2-D`);
    const h = halves.get(module) ?? {};
    h[which as 'A' | 'B'] = { shape: t.shape, data: t.data };
    halves.set(module, h);
  }
  if (halves.size === 0) throw bad(wFile, 'holds no LoRA tensors');
  const pairs = new Map<string, HostLoraPair>();
  for (const [module, { A, B }] of [...halves].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const name = (w: string) => `tensor "${PREFIX}${module}.lora_${w}.weight"`;
    if (!A) throw bad(wFile, `${name('A')} is missing (its lora_B is present)`);
    if (!B) throw bad(wFile, `${name('B')} is missing (its lora_A is present)`);
    const r = A.shape[0];
    const rWant = patternValue(config.rank_pattern, module) ?? rank;
    if (r !== rWant) throw bad(wFile, `${name('A')} has rank ${r} but adapter_config.json says r=${rWant}`);
    if (B.shape[1] !== r) throw bad(wFile, `${name('B')} has shape [${B.shape.join(', ')}]; expected [out, ${r}] to match lora_A [${A.shape.join(', ')}]`);
    const dimsOf = linear?.get(module);
    if (dimsOf) {
      const [outDim, inDim] = dimsOf;
      if (A.shape[1] !== inDim) throw bad(wFile, `${name('A')} has shape [${A.shape.join(', ')}]; the base model needs [${r}, ${inDim}]`);
      if (B.shape[0] !== outDim) throw bad(wFile, `${name('B')} has shape [${B.shape.join(', ')}]; the base model needs [${outDim}, ${r}]`);
    }
    pairs.set(module, { A, B, scaling: scalingFor(r, patternValue(config.alpha_pattern, module) ?? alpha) });
  }
  const base = config.base_model_name_or_path;
  return { dir, config, rank, alpha, useRslora, scaling: scalingFor(rank, alpha), pairs, baseModel: typeof base === 'string' ? base : null };
}
