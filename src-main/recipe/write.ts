/**
 * `vocab-tuner export-recipe`: a self-contained folder that trains what a run trains with the
 * Hugging Face stack on any number of GPUs. The Python and YAML are files under templates/ (the
 * same for every run); only recipe.json (the run's settings, config.ts), the dataset
 * (dataset.ts) and the README's commands differ per run.
 *
 *   OUT/recipe.json  OUT/data/{train,validation,test}/  OUT/train.py  OUT/vt_data.py  OUT/vt_model.py
 *   OUT/accelerate/{single_gpu,multi_gpu,multi_node,deepspeed_zero2}.yaml  OUT/requirements.txt
 *   OUT/README.md    OUT/model/ (the base model, when it has no Hub id or --include-model)
 */
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';
import { repoIdFromFolder } from '../models/hf-cache.ts';
import type { TuneConfig } from '../tuning/config.ts';
import { readRunRecord } from '../tuning/run.ts';
import { writeFolderAtomically } from '../tuning/peft.ts';
import { recipeConfig, type RecipeConfig } from './config.ts';
import { writeRecipeDataset, type RecipeDatasetSummary } from './dataset.ts';

// '../recipe/' names this folder from the compiled tree's chunks too (scripts/build-main.mjs copies it).
const TEMPLATES = fileURLToPath(new URL('../recipe/templates/', import.meta.url));
/** Copied verbatim (README.md is filled in). */
export const TEMPLATE_FILES = ['train.py', 'vt_data.py', 'vt_model.py', 'requirements.txt', 'accelerate/single_gpu.yaml', 'accelerate/multi_gpu.yaml', 'accelerate/multi_node.yaml', 'accelerate/deepspeed_zero2.yaml'];

export interface RecipeSource {
  config: TuneConfig;
  /** The run's training data (an audiofolder). */
  dataDir: string;
  /** The base model: a folder (an HF cache snapshot gives its Hub id) or a Hub id. */
  model: string;
  /** The run folder, when exporting a run (named in the README). */
  runDir: string | null;
}

export interface RecipeResult {
  out: string;
  config: RecipeConfig;
  dataset: RecipeDatasetSummary;
  /** True when the base model was copied into OUT/model/. */
  includedModel: boolean;
}

/** A run folder (`tune --out`, or the app's runs/<id>/run) → what the recipe needs. */
export function sourceFromRun(runDir: string): RecipeSource {
  const run = readRunRecord(runDir);
  if (!run) throw new UserError('RUN_NOT_FOUND', `${runDir} holds no run.json; pass the --out folder of \`vocab-tuner tune\` (or use --config with --data and --model).`);
  if (!run.config || !run.data || !run.model) throw new UserError('RUN_INVALID', `${runDir}/run.json lacks its config, data or model; it was not written by \`vocab-tuner tune\`.`);
  return { config: run.config, dataDir: run.data, model: run.model, runDir: path.resolve(runDir) };
}

/** "…/models--openai--whisper-base.en/snapshots/<commit>" → "openai/whisper-base.en"; a Hub id stays. */
export function hubIdOf(model: string): string | null {
  const m = /[\\/](models--[^\\/]+)[\\/]snapshots[\\/][^\\/]+[\\/]?$/.exec(model);
  if (m) return repoIdFromFolder(m[1]);
  if (!existsSync(model) && /^[\w.-]+\/[\w.-]+$/.test(model) && !model.startsWith('local/')) return model;
  return null;
}

function describeMethod(c: TuneConfig): string {
  const m = c.method;
  const what =
    m.method === 'lora'
      ? `LoRA rank ${m.lora.rank}, alpha ${m.lora.alpha}, dropout ${m.lora.dropout} on ${m.lora.targetModules.join(', ')} of the ${m.lora.stacks.join(' and ')}`
      : m.method === 'freeze'
        ? `everything but the first ${m.freezeEncoderLayers === 'all' ? 'encoder (all of it)' : `${m.freezeEncoderLayers} encoder layers`}`
        : `${m.method} fine-tuning`;
  const reg = c.regularizer === 'none' || c.regWeight === 0 ? 'no regulariser' : `${c.regularizer} (weight ${c.regWeight})`;
  const length = c.steps ? `${c.steps} steps` : `${c.epochs} epochs`;
  return `${what}; lr ${c.lr}, ${c.schedule} schedule, ${length}, batch ${c.batchSize}×${c.gradAccum}, ${reg}`;
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function readme(o: { out: string; src: RecipeSource; cfg: RecipeConfig; ds: RecipeDatasetSummary; hubId: string | null; included: boolean }): string {
  const { src, cfg, ds } = o;
  const terms = cfg.terms;
  const fill: Record<string, string> = {
    // The app's runs/<n>/run is "run #n"; a `tune --out` folder is named by its path.
    RUN_LABEL: src.runDir ? `run ${/[\\/]runs[\\/](\d+)[\\/]run$/.exec(src.runDir)?.[1].replace(/^/, '#') ?? src.runDir}` : 'from a config file',
    METHOD_SUMMARY: describeMethod(src.config),
    COUNTS: `${ds.counts.train} train, ${ds.counts.validation} validation, ${ds.counts.test} test of which ${ds.general} general; ${ds.seconds >= 60 ? `${(ds.seconds / 60).toFixed(1)} min` : `${ds.seconds.toFixed(0)} s`} of audio`,
    MODEL_LINE: o.included ? '    model/               the base model (Hugging Face folder), so no download is needed\n' : '',
    FOLDER: shellQuote(o.out),
    BASE_MODEL: cfg.base_model,
    BASE_MODEL_NOTE: o.included
      ? ' It is copied into `model/`, so the GPU machine needs no network.'
      : ' transformers downloads it on first use (or set `HF_HUB_OFFLINE=1` with a copied Hugging Face cache, or pass `--model /path/to/folder`).',
    OUTPUT_FORM:
      cfg.method === 'lora'
        ? '`best/` and `adapter/` are PEFT LoRA adapters (`adapter_config.json` + `adapter_model.safetensors`), the same layout Vocab Tuner writes, so they load back unchanged.'
        : '`best/` and `adapter/` are complete Hugging Face Whisper folders (this run trains the weights themselves), which Vocab Tuner loads with `--adapter` as a merged model.',
    COMPARE_MODEL: o.hubId ?? shellQuote(src.model),
    PROBE_TERM: terms.length ? ` --term ${shellQuote(terms[0])}` : '',
    TERM_FLAGS: terms.map((t) => ` --term ${shellQuote(t)}`).join(''),
    RUN_DIR: src.runDir ?? '(none: exported from a config file)',
  };
  return readFileSync(path.join(TEMPLATES, 'README.md'), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    if (!(k in fill)) throw new Error(`README template placeholder {{${k}}} has no value`);
    return fill[k];
  });
}

/** Writes the recipe folder (atomically: a failure leaves nothing half-written). */
export async function exportRecipe(src: RecipeSource, outDir: string, o: { includeModel?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<RecipeResult> {
  if (!existsSync(src.dataDir)) throw new UserError('DATASET_NOT_FOUND', `The run's dataset ${src.dataDir} no longer exists; export the dataset again (vocab-tuner data export) and pass it with --config … --data.`);
  const hubId = hubIdOf(src.model);
  const included = o.includeModel === true || hubId === null;
  if (included && !existsSync(path.join(src.model, 'config.json'))) {
    throw new UserError('MODEL_NOT_FOUND', `The base model ${src.model} is not a model folder here, so it cannot be copied into the recipe; pass --model with its folder or Hub id.`);
  }
  const cfg = recipeConfig(src.config, included ? 'model' : hubId!);
  const out = path.resolve(outDir);
  let dataset: RecipeDatasetSummary | undefined;
  await writeFolderAtomically(out, async (tmp) => {
    dataset = await writeRecipeDataset(src.dataDir, path.join(tmp, 'data'), cfg.terms, o.onProgress);
    if (dataset.counts.train === 0) throw new UserError('DATASET_EMPTY', `${src.dataDir} has no training clips; nothing to train on.`);
    writeFileSync(path.join(tmp, 'recipe.json'), JSON.stringify(cfg, null, 2) + '\n');
    for (const f of TEMPLATE_FILES) cpSync(path.join(TEMPLATES, f), path.join(tmp, f));
    // DeepSpeed clips gradients itself (accelerate's clip_grad_norm_ is a no-op there): its setting is the run's.
    const ds = path.join(tmp, 'accelerate/deepspeed_zero2.yaml');
    writeFileSync(ds, readFileSync(ds, 'utf8').replace(/gradient_clipping: .*/, `gradient_clipping: ${cfg.max_grad_norm}`));
    if (included) {
      // HF cache snapshots are symlinks into blobs/: copy the files they point at.
      for (const f of readdirSync(src.model)) if (!f.startsWith('.')) cpSync(path.join(src.model, f), path.join(tmp, 'model', f), { dereference: true, recursive: true });
    }
    writeFileSync(path.join(tmp, 'README.md'), readme({ out, src, cfg, ds: dataset, hubId, included }));
  });
  return { out, config: cfg, dataset: dataset!, includedModel: included };
}
