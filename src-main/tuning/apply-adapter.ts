/**
 * `--adapter DIR [--adapter-scale S]` for transcribe / probe / compare: puts a tuned model on top
 * of the loaded base, blended by S (0 = base, 1 = as trained; between interpolates toward the
 * base, a known remedy for forgetting; up to 2 extrapolates).
 *
 * Two forms are accepted:
 *   - a PEFT LoRA folder (adapter_config.json + adapter_model.safetensors): a hook adds
 *     S·scaling·B·(A·x) after each adapted linear layer, the weights themselves untouched;
 *   - a full Hugging Face Whisper folder (a merged export or a full / freeze / LayerNorm run):
 *     every weight becomes W_base + S·(W_tuned − W_base).
 * S = 0 leaves the model bit-for-bit as loaded (no hook, no arithmetic), so it gives exactly the
 * base logits; S = 1 on a full folder uses the tuned tensors as stored.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { WhisperDims } from '../whisper/config.ts';
import { loadCheckpoint } from '../whisper/checkpoint.ts';
import type { LinearHook } from '../whisper/layers.ts';
import type { LoadedWhisper } from '../whisper/load.ts';
import { AdapterError, PEFT_CONFIG_FILE, readPeftAdapter, type HostLoraPair } from './peft.ts';

export type AdapterKind = 'peft' | 'merged';

export interface AppliedAdapter {
  kind: AdapterKind;
  dir: string;
  scale: number;
  /** Adapted modules (peft) or replaced tensors (merged). */
  changed: number;
  /** Frees the adapter's own tensors (the hook's A/B); blended weights belong to the model. */
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
 * up front so a step costs two small matmuls and an add. Composes with a hook already installed.
 */
export function peftHook(pairs: Map<string, HostLoraPair>, scale: number, prev?: LinearHook): { hook: LinearHook; tensors: tf.Tensor[] } {
  const dev = new Map<string, { A: tf.Tensor2D; Bs: tf.Tensor2D }>();
  for (const [module, p] of pairs) {
    const s = p.scaling * scale;
    dev.set(module, {
      A: tf.tensor2d(p.A.data, p.A.shape as [number, number]),
      Bs: tf.tensor2d(p.B.data.map((v) => v * s), p.B.shape as [number, number]),
    });
  }
  const hook: LinearHook = (module, x, y0) => {
    const y = prev ? prev(module, x, y0) : y0;
    const m = dev.get(module);
    if (!m) return y;
    return tf.tidy(() => tf.add(y, tf.matMul(tf.matMul(x, m.A, false, true), m.Bs, false, true)) as tf.Tensor2D);
  };
  return { hook, tensors: [...dev.values()].flatMap((m) => [m.A, m.Bs]) };
}

/** Applies the adapter in `dir` to `loaded` at `scale` (see the file comment). */
export async function applyAdapterDir(loaded: LoadedWhisper, dir: string, scale: number): Promise<AppliedAdapter> {
  if (!Number.isFinite(scale)) throw new AdapterError(`adapter scale must be a finite number, got ${scale}`);
  const found = await resolveAdapterDir(dir);
  if (!found) throw notAnAdapter(resolve(dir));
  const kind = found.kind;
  dir = found.dir;
  const dims = loaded.checkpoint.dims;
  const weights = loaded.model.weights;

  if (kind === 'peft') {
    const peft = await readPeftAdapter(dir, dims);
    if (scale === 0) return { kind, dir, scale, changed: 0, dispose: () => {} };
    const { hook, tensors } = peftHook(peft.pairs, scale, weights.hook);
    const prev = weights.hook;
    weights.hook = hook;
    return {
      kind,
      dir,
      scale,
      changed: peft.pairs.size,
      dispose: () => {
        if (weights.hook === hook) weights.hook = prev;
        tf.dispose(tensors);
      },
    };
  }

  if (kind === 'merged') {
    const tuned = await loadCheckpoint(dir);
    const diff = sameDims(dims, tuned.dims);
    if (diff) throw new AdapterError(`${dir} is a Whisper model of another size (${diff}); pass a model tuned from ${loaded.checkpoint.dir}`);
    let changed = 0;
    if (scale !== 0) {
      const map = weights.map;
      const names = new Set(map.keys());
      if (tuned.weights.has('proj_out.weight')) names.add('proj_out.weight');
      for (const name of names) {
        const fallback = name === 'proj_out.weight' ? 'model.decoder.embed_tokens.weight' : undefined;
        const base = map.get(name) ?? (fallback ? map.get(fallback) : undefined);
        const t = tuned.weights.get(name) ?? (fallback && map.has(name) ? tuned.weights.get(fallback) : undefined);
        if (!base || !t) continue; // e.g. sinusoids the merged file leaves out: fixed, so equal
        const next =
          scale === 1
            ? tf.tensor(t.data, t.shape, 'float32')
            : tf.tidy(() => {
                const tt = tf.tensor(t.data, t.shape, 'float32');
                return tf.add(base, tf.mul(tf.sub(tt, base), scale));
              });
        if (map.get(name) === base) base.dispose();
        map.set(name, next);
        changed++;
      }
    }
    return { kind, dir, scale, changed, dispose: () => {} };
  }
  throw notAnAdapter(dir);
}
