/**
 * `--adapter DIR [--adapter-scale S]` for transcribe / probe / compare / try: a tuned model as a
 * state over the loaded base weights (whisper/weights.ts), blended by S (0 = base, 1 = as trained; between interpolates toward the
 * base, a known remedy for forgetting; up to 2 extrapolates).
 *
 * Two forms are accepted:
 *   - a PEFT LoRA folder (adapter_config.json + adapter_model.safetensors): a hook adds
 *     S·scaling·B·(A·x) after each adapted linear layer, the weights themselves untouched;
 *   - a full Hugging Face Whisper folder (a merged export or a full / freeze / LayerNorm run):
 *     every weight is read as W_base + S·(W_tuned − W_base), new tensors beside the base ones.
 * The base weights are never changed, so leaving an adapter is dropping its state. S = 0 leaves the model bit-for-bit as loaded (no hook, no arithmetic), so it gives exactly the
 * base logits; S = 1 on a full folder uses the tuned tensors as stored.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperDims } from '../whisper/config.ts';
import { loadCheckpoint } from '../whisper/checkpoint.ts';
import type { CheckpointTensor } from '../whisper/checkpoint.ts';
import type { LinearHook } from '../whisper/layers.ts';
import type { LoadedWhisper } from '../whisper/load.ts';
import type { WhisperModel } from '../whisper/model.ts';
import { BASE_STATE, type ModelState, type WhisperWeights } from '../whisper/weights.ts';
import { AdapterError, PEFT_CONFIG_FILE, readPeftAdapter, type HostLoraPair } from './peft.ts';

export type AdapterKind = 'peft' | 'merged';

const OUTPUT = 'proj_out.weight';
const EMBED = 'model.decoder.embed_tokens.weight';

/**
 * An adapter folder read into host memory and checked against the base model, once; states at any
 * scale are made from it without reading the folder again (a comparison's sweep, a blend slider).
 */
export type AdapterSource =
  | { kind: 'peft'; dir: string; pairs: Map<string, HostLoraPair> }
  | { kind: 'merged'; dir: string; weights: Map<string, CheckpointTensor> };

export interface AppliedAdapter {
  kind: AdapterKind;
  dir: string;
  scale: number;
  /** Adapted modules (peft) or replaced tensors (merged). */
  changed: number;
  /** What the adapter puts on the base weights at this scale (whisper/weights.ts). */
  state: ModelState;
  /** Frees the state's own tensors (the hook's factors, the blended weights); the base is untouched. */
  dispose(): void;
}

const isFile = (p: string) => stat(p).then((s) => s.isFile(), () => false);

/** Which form `dir` holds, or null when it is neither. */
export async function adapterKind(dir: string): Promise<AdapterKind | null> {
  if (await isFile(join(dir, PEFT_CONFIG_FILE))) return 'peft';
  if ((await isFile(join(dir, 'config.json'))) && ((await isFile(join(dir, 'model.safetensors'))) || (await isFile(join(dir, 'model.safetensors.index.json'))))) {
    return 'merged';
  }
  return null;
}

/**
 * The adapter folder `dir` stands for: itself when it holds either form; for a tuning run's
 * folder (run.json beside best/ and adapter/), the best checkpoint, else the last one — so
 * `--adapter RUN_DIR` does what a user means. Null when none of these holds an adapter.
 */
export async function resolveAdapterDir(dir: string): Promise<{ dir: string; kind: AdapterKind } | null> {
  dir = resolve(dir);
  const kind = await adapterKind(dir);
  if (kind) return { dir, kind };
  if (await isFile(join(dir, 'run.json'))) {
    for (const sub of ['best', 'adapter']) {
      const k = await adapterKind(join(dir, sub));
      if (k) return { dir: join(dir, sub), kind: k };
    }
  }
  return null;
}

export function notAnAdapter(dir: string): AdapterError {
  return new AdapterError(
    `${dir} is not an adapter folder. Pass either a PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors, ` +
      'as written by `vocab-tuner export --format peft`) or a full Whisper model folder (config.json + model.safetensors, ' +
      'as written by `vocab-tuner export --format hf` or a full fine-tuning run), or a `vocab-tuner tune --out` run folder.',
  );
}

function sameDims(a: WhisperDims, b: WhisperDims): string | null {
  for (const k of Object.keys(a) as (keyof WhisperDims)[]) if (a[k] !== b[k]) return `${k} ${b[k]} vs the base model's ${a[k]}`;
  return null;
}

/**
 * The LoRA hook from host pairs: y + (x·Aᵀ)·(s·scaling·B)ᵀ for adapted modules. B is scaled once
 * up front so a step costs two small matmuls and an add.
 */
export function peftHook(pairs: Map<string, HostLoraPair>, scale: number): { hook: LinearHook; tensors: tf.Tensor[] } {
  const dev = new Map<string, { A: tf.Tensor2D; Bs: tf.Tensor2D }>();
  for (const [module, p] of pairs) {
    const s = p.scaling * scale;
    dev.set(module, {
      A: tf.tensor2d(p.A.data, p.A.shape as [number, number]),
      Bs: tf.tensor2d(p.B.data.map((v) => v * s), p.B.shape as [number, number]),
    });
  }
  const hook: LinearHook = (module, x, y) => {
    const m = dev.get(module);
    if (!m) return y;
    return tf.tidy(() => tf.add(y, tf.matMul(tf.matMul(x, m.A, false, true), m.Bs, false, true)) as tf.Tensor2D);
  };
  return { hook, tensors: [...dev.values()].flatMap((m) => [m.A, m.Bs]) };
}

/**
 * Reads and checks the adapter in `dir` (or the one a run folder stands for) for a base model of
 * `dims`; `baseDir` only names the base in errors.
 */
export async function readAdapter(dir: string, dims: WhisperDims, baseDir: string): Promise<AdapterSource> {
  const found = await resolveAdapterDir(dir);
  if (!found) throw notAnAdapter(resolve(dir));
  if (found.kind === 'peft') return { kind: 'peft', dir: found.dir, pairs: (await readPeftAdapter(found.dir, dims)).pairs };
  const tuned = await loadCheckpoint(found.dir);
  const diff = sameDims(dims, tuned.dims);
  if (diff) throw new AdapterError(`${found.dir} is a Whisper model of another size (${diff}); pass a model tuned from ${baseDir}`);
  return { kind: 'merged', dir: found.dir, weights: tuned.weights };
}

/**
 * The state `src` puts on `base` at `scale` (see the file comment). Scale 0 is the empty state: the
 * base model bit for bit. A merged folder's blend W_base + S·(W_tuned − W_base) is new tensors that
 * stand in for the base ones, which stay loaded as they are.
 */
export function adapterState(base: WhisperWeights, src: AdapterSource, scale: number): AppliedAdapter {
  if (!Number.isFinite(scale)) throw new AdapterError(`adapter scale must be a finite number, got ${scale}`);
  const { kind, dir } = src;
  if (scale === 0) return { kind, dir, scale, changed: 0, state: BASE_STATE, dispose: () => {} };
  if (src.kind === 'peft') {
    const { hook, tensors } = peftHook(src.pairs, scale);
    return { kind, dir, scale, changed: src.pairs.size, state: { hook }, dispose: () => tf.dispose(tensors) };
  }
  const overrides = new Map<string, tf.Tensor>();
  const names = new Set(base.names());
  if (src.weights.has(OUTPUT)) names.add(OUTPUT);
  for (const name of names) {
    // A tuned model that unties the output projection: its base counterpart is the embedding.
    const fallback = name === OUTPUT ? EMBED : undefined;
    const b = base.has(name) ? base.get(name) : fallback ? base.get(fallback) : undefined;
    const t = src.weights.get(name) ?? (fallback && base.has(name) ? src.weights.get(fallback) : undefined);
    if (!b || !t) continue; // e.g. sinusoids the merged file leaves out: fixed, so equal
    overrides.set(
      name,
      scale === 1
        ? tf.tensor(t.data, t.shape, 'float32')
        : tf.tidy(() => tf.add(b, tf.mul(tf.sub(tf.tensor(t.data, t.shape, 'float32'), b), scale))),
    );
  }
  return { kind, dir, scale, changed: overrides.size, state: { overrides }, dispose: () => tf.dispose([...overrides.values()]) };
}

/**
 * Reads the adapter in `dir` and makes its state over `loaded`'s weights at `scale`; `model` is
 * the tuned view (the loaded model itself is left as the base).
 */
export async function applyAdapterDir(loaded: LoadedWhisper, dir: string, scale: number): Promise<AppliedAdapter & { model: WhisperModel }> {
  if (!Number.isFinite(scale)) throw new AdapterError(`adapter scale must be a finite number, got ${scale}`);
  const src = await readAdapter(dir, loaded.checkpoint.dims, loaded.checkpoint.dir);
  const applied = adapterState(loaded.model.weights, src, scale);
  return { ...applied, model: loaded.model.withState(applied.state) };
}
