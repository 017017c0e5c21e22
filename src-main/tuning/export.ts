/**
 * A tuned model in the formats other tools load, for `vocab-tuner export` and the app's export job:
 *   hf    a complete Hugging Face Whisper folder with the adapter merged in
 *         (W + S·scaling·B·A for a LoRA adapter; W + S·(W_tuned − W) for a full model);
 *   peft  the LoRA adapter re-validated against the base and written in PEFT's layout
 *         (B multiplied by S), so PEFT's from_pretrained loads it unchanged;
 *   ggml  the merged model converted for whisper.cpp.
 * S is the adapter scale (0 = base, 1 = as trained).
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { exportGgml } from '../models/ggml.ts';
import { loadCheckpoint } from '../whisper/checkpoint.ts';
import type { WritableDtype } from '../whisper/safetensors.ts';
import { notAnAdapter, resolveAdapterDir, type AdapterKind } from './apply-adapter.ts';
import { blendWeights, mergeLora, writeHfModel } from './merge.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, readPeftAdapter, writePeftPairs } from './peft.ts';
import { UserError } from '../util/errors.ts';

export interface ExportTunedArgs {
  /** The base model folder the adapter was trained from. */
  modelDir: string;
  adapter?: string;
  out: string;
  /** Adapter scale S (default 1; the CLI checks --adapter-scale is within 0..2). */
  scale?: number;
  /** Stored dtype for --format hf (F32 default). */
  dtype?: WritableDtype;
}

/** A Hub id for PEFT's base_model_name_or_path when the folder tells us one, else the folder. */
export async function baseModelName(modelDir: string): Promise<string> {
  const cache = /models--([^/\\]+?)--([^/\\]+)[/\\]snapshots[/\\]/.exec(modelDir);
  if (cache) return `${cache[1]}/${cache[2]}`;
  try {
    const cfg = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')) as { _name_or_path?: unknown };
    if (typeof cfg._name_or_path === 'string' && /^[\w.-]+\/[\w.-]+$/.test(cfg._name_or_path)) return cfg._name_or_path;
  } catch {
    // loadCheckpoint reports a broken config with the file named; here the folder path will do.
  }
  return modelDir;
}

async function folderBytes(dir: string, files: string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size;
  return n;
}

/** The adapter resolved to the folder holding the adapter (a run folder → its best checkpoint). */
async function needAdapter(a: ExportTunedArgs, format: string): Promise<{ dir: string; kind: AdapterKind }> {
  if (!a.adapter) throw new UserError('MISSING_ARGUMENT', `exporting as ${format} needs an adapter (--adapter DIR: a LoRA adapter, a tuned model folder or a tuning run folder)`);
  const found = await resolveAdapterDir(a.adapter);
  if (!found) throw notAnAdapter(a.adapter);
  return found;
}

/** hf: the merged model as a complete HF Whisper folder. */
export async function exportHf(a: ExportTunedArgs): Promise<Record<string, unknown>> {
  const scale = a.scale ?? 1;
  const { dir: adapter, kind } = await needAdapter(a, 'hf');
  const base = await loadCheckpoint(a.modelDir);
  let weights;
  if (kind === 'peft') {
    const peft = await readPeftAdapter(adapter, base.dims);
    weights = mergeLora(base.weights, peft.pairs, peft.scaling, scale);
  } else {
    const tuned = await loadCheckpoint(adapter);
    weights = blendWeights(base.weights, tuned.weights, scale);
  }
  await writeHfModel(a.modelDir, weights, a.out, { dtype: a.dtype });
  return { out: a.out, adapter, adapter_kind: kind, adapter_scale: scale, bytes: await folderBytes(a.out, ['model.safetensors']) };
}

/** peft: the LoRA adapter, validated against the base and normalised to PEFT's layout. */
export async function exportPeft(a: ExportTunedArgs): Promise<Record<string, unknown>> {
  const scale = a.scale ?? 1;
  const { dir: adapter, kind } = await needAdapter(a, 'peft');
  if (kind === 'merged') {
    throw new UserError(
      'ADAPTER_NOT_LORA',
      `${adapter} is a full model, not a LoRA adapter: PEFT needs the adapter of a LoRA run (tune --method lora). Use --format hf to export this model.`,
    );
  }
  const base = await loadCheckpoint(a.modelDir);
  const peft = await readPeftAdapter(adapter, base.dims);
  const scalings = new Set([...peft.pairs.values()].map((p) => p.scaling));
  const ranks = new Set([...peft.pairs.values()].map((p) => p.A.shape[0]));
  if (scalings.size > 1 || ranks.size > 1) {
    throw new UserError('EXPORT_UNSUPPORTED', `${adapter} uses per-module ranks or alphas (rank_pattern / alpha_pattern); copy that folder as it is instead of re-exporting it.`);
  }
  const dropout = typeof peft.config.lora_dropout === 'number' ? peft.config.lora_dropout : 0;
  await writePeftPairs(peft.pairs, { rank: peft.rank, alpha: peft.alpha, dropout, useRslora: peft.useRslora, dims: base.dims }, a.out, {
    // A Hub id for --model beats whatever the adapter recorded (often a local path on another machine).
    baseModel: await baseModelName(a.modelDir).then((n) => (n !== a.modelDir ? n : (peft.baseModel ?? n))),
    scale,
  });
  return { out: a.out, adapter, adapter_scale: scale, modules: peft.pairs.size, rank: peft.rank, bytes: await folderBytes(a.out, [PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE]) };
}

/**
 * ggml with an adapter: whisper.cpp has no adapters, so the adapter is merged into a
 * temporary Hugging Face folder beside the output (same disk, removed afterwards) and that folder
 * is converted — exactly what `exportHf` would write, then `exportGgml`.
 */
export async function exportGgmlTuned(
  a: ExportTunedArgs,
  opts: { type?: 'f16' | 'f32'; onTensor?: (name: string, i: number, n: number) => void } = {},
): Promise<Awaited<ReturnType<typeof exportGgml>>> {
  await mkdir(dirname(resolve(a.out)), { recursive: true });
  const tmp = await mkdtemp(join(dirname(resolve(a.out)), '.vt-merge-'));
  try {
    const merged = join(tmp, 'merged');
    await exportHf({ ...a, out: merged });
    return await exportGgml(merged, a.out, opts);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
