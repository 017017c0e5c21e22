/**
 * "What changed": per module group, the relative weight change ‖θ_tuned − θ_base‖ / ‖θ_base‖
 * (Frobenius norm over all tensors of the group). The seeds claim early encoder layers barely move
 * while the decoder and output move most; this makes that visible for a user's own run.
 *
 * Groups, in report order: encoder conv1, conv2, positional embedding; each encoder block's
 * self-attention, MLP, LayerNorms; the encoder's final LayerNorm; the token and positional
 * embeddings; each decoder block's self-attention, cross-attention, MLP, LayerNorms; the decoder's
 * final LayerNorm; the output projection (only when stored: otherwise it IS the token embedding).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HostLoraPair, HostTensor } from './peft.ts';

export type ModuleKind = 'conv' | 'positions' | 'self_attention' | 'cross_attention' | 'mlp' | 'layer_norms' | 'embedding' | 'final_layer_norm' | 'output';

export interface ModuleChange {
  /** Stable id, e.g. "encoder.layers.0.mlp", "decoder.embed_tokens", "output". */
  group: string;
  stack: 'encoder' | 'decoder' | 'output';
  /** Block index, or null for the stems, embeddings and final norms. */
  layer: number | null;
  kind: ModuleKind;
  /** Number of parameters in the group. */
  params: number;
  baseNorm: number;
  deltaNorm: number;
  /** deltaNorm / baseNorm; null when the base norm is 0 (nothing to be relative to). */
  relative: number | null;
}

type AnyTensor = tf.Tensor | HostTensor;

interface GroupKey {
  group: string;
  stack: ModuleChange['stack'];
  layer: number | null;
  kind: ModuleKind;
  /** Sort key: encoder 0…, decoder 10_000…, output last. */
  order: number;
}

const BLOCK_KINDS: Record<string, [ModuleKind, string, number]> = {
  self_attn: ['self_attention', 'self_attn', 0],
  encoder_attn: ['cross_attention', 'cross_attn', 1],
  fc1: ['mlp', 'mlp', 2],
  fc2: ['mlp', 'mlp', 2],
  self_attn_layer_norm: ['layer_norms', 'layer_norms', 3],
  encoder_attn_layer_norm: ['layer_norms', 'layer_norms', 3],
  final_layer_norm: ['layer_norms', 'layer_norms', 3],
};

/** The report group of an HF tensor name, or null for a name outside Whisper's layout. */
export function groupOf(name: string): GroupKey | null {
  if (name === 'proj_out.weight') return { group: 'output', stack: 'output', layer: null, kind: 'output', order: 1e9 };
  const m = /^model\.(encoder|decoder)\.(.+)$/.exec(name);
  if (!m) return null;
  const stack = m[1] as 'encoder' | 'decoder';
  const base = stack === 'encoder' ? 0 : 1e6;
  const rest = m[2];
  const block = /^layers\.(\d+)\.([a-z_0-9]+?)(?:\.[a-z_0-9]+)?\.(weight|bias)$/.exec(rest);
  if (block) {
    const layer = Number(block[1]);
    const k = BLOCK_KINDS[block[2]];
    if (!k) return null;
    return { group: `${stack}.layers.${layer}.${k[1]}`, stack, layer, kind: k[0], order: base + 100 + layer * 10 + k[2] };
  }
  const stem = /^([a-z_0-9]+)\.(weight|bias)$/.exec(rest);
  if (!stem) return null;
  const s = stem[1];
  const fixed: Record<string, [ModuleKind, number]> = {
    conv1: ['conv', 1],
    conv2: ['conv', 2],
    embed_tokens: ['embedding', 1],
    embed_positions: ['positions', 3],
    layer_norm: ['final_layer_norm', 1e5],
  };
  const f = fixed[s];
  if (!f) return null;
  return { group: `${stack}.${s}`, stack, layer: null, kind: f[0], order: base + f[1] };
}

/** Σx² and Σ(a−b)² in float64. For device tensors only two scalars leave the device. */
function sums(base: AnyTensor, tuned: AnyTensor | undefined): { base2: number; delta2: number; params: number } {
  if (tuned === base) tuned = undefined; // a frozen tensor shared by both maps: no change to compute
  if (base instanceof tf.Tensor) {
    const t = tuned instanceof tf.Tensor || tuned === undefined ? tuned : tf.tensor(tuned.data, tuned.shape);
    const [b2, d2] = tf.tidy(() => {
      const b = tf.sum(tf.square(base)).dataSync()[0];
      const d = t ? tf.sum(tf.square(tf.sub(t, base))).dataSync()[0] : 0;
      return [b, d];
    });
    if (t && !(tuned instanceof tf.Tensor)) t.dispose();
    return { base2: b2, delta2: d2, params: base.size };
  }
  const bd = base.data;
  const td = tuned === undefined ? undefined : tuned instanceof tf.Tensor ? (tuned.dataSync() as Float32Array) : tuned.data;
  let b2 = 0;
  let d2 = 0;
  for (let i = 0; i < bd.length; i++) {
    b2 += bd[i] * bd[i];
    if (td) {
      const d = td[i] - bd[i];
      d2 += d * d;
    }
  }
  return { base2: b2, delta2: d2, params: bd.length };
}

interface Acc {
  key: GroupKey;
  params: number;
  base2: number;
  delta2: number;
}

function finish(acc: Map<string, Acc>): ModuleChange[] {
  return [...acc.values()]
    .sort((a, b) => a.key.order - b.key.order)
    .map(({ key, params, base2, delta2 }) => {
      const baseNorm = Math.sqrt(base2);
      const deltaNorm = Math.sqrt(delta2);
      return { group: key.group, stack: key.stack, layer: key.layer, kind: key.kind, params, baseNorm, deltaNorm, relative: baseNorm > 0 ? deltaNorm / baseNorm : null };
    });
}

function add(acc: Map<string, Acc>, key: GroupKey, s: { base2: number; delta2: number; params: number }): void {
  const a = acc.get(key.group) ?? { key, params: 0, base2: 0, delta2: 0 };
  a.params += s.params;
  a.base2 += s.base2;
  a.delta2 += s.delta2;
  acc.set(key.group, a);
}

/**
 * Relative change per module group between two weight sets (HF names; tensors or host arrays,
 * mixed freely). Tensors missing from `tuned` count as unchanged. A proj_out present on one side
 * only is compared with the other side's token embedding (the tied output it replaces).
 */
export function changeReport(base: Map<string, AnyTensor>, tuned: Map<string, AnyTensor>): ModuleChange[] {
  const acc = new Map<string, Acc>();
  const names = new Set(base.keys());
  if (tuned.has('proj_out.weight')) names.add('proj_out.weight');
  for (const name of names) {
    const key = groupOf(name);
    if (!key) continue;
    const tied = name === 'proj_out.weight' ? 'model.decoder.embed_tokens.weight' : undefined;
    const b = base.get(name) ?? (tied ? base.get(tied) : undefined);
    const t = tuned.get(name) ?? (tied ? tuned.get(tied) : undefined);
    if (!b) continue;
    if (t && b.shape.join() !== t.shape.join()) throw new Error(`changeReport: ${name} is [${b.shape}] in the base and [${t.shape}] in the tuned weights`);
    add(acc, key, sums(b, t));
  }
  return finish(acc);
}

/** The adapter shapes loraChangeReport accepts: our LoraAdapter or pairs read from PEFT files. */
export type AdapterLike =
  | { scaling: number; modules: Map<string, { A: tf.Tensor; B: tf.Tensor }> }
  | { scaling: number; pairs: Map<string, Pick<HostLoraPair, 'A' | 'B'> & { scaling?: number }> };

const host = (t: tf.Tensor | HostTensor): HostTensor => (t instanceof tf.Tensor ? { shape: [...t.shape], data: t.dataSync() as Float32Array } : t);

/**
 * ‖B·A‖²_F without forming B·A: tr((BᵀB)(AAᵀ)) = Σ_jk (BᵀB)_jk (AAᵀ)_jk, two r×r Gram matrices.
 * A [r, in], B [out, r].
 */
export function lowRankNorm2(A: HostTensor, B: HostTensor): number {
  const [r, inDim] = A.shape;
  const outDim = B.shape[0];
  let total = 0;
  for (let j = 0; j < r; j++) {
    for (let k = 0; k < r; k++) {
      let g = 0;
      for (let o = 0; o < outDim; o++) g += B.data[o * r + j] * B.data[o * r + k];
      let h = 0;
      for (let i = 0; i < inDim; i++) h += A.data[j * inDim + i] * A.data[k * inDim + i];
      total += g * h;
    }
  }
  return Math.max(0, total);
}

/**
 * The change report of a LoRA run: ΔW = scaling·B·A for each adapted module (runtime scale
 * excluded), 0 for every other tensor; the base norm is over all tensors of the group.
 */
export function loraChangeReport(baseWeights: Map<string, AnyTensor>, adapter: AdapterLike): ModuleChange[] {
  const deltas = new Map<string, number>();
  const entries: [string, { A: tf.Tensor | HostTensor; B: tf.Tensor | HostTensor; scaling?: number }][] =
    'modules' in adapter ? [...adapter.modules] : [...adapter.pairs];
  for (const [module, p] of entries) {
    const s = p.scaling ?? adapter.scaling;
    deltas.set(`${module}.weight`, s * s * lowRankNorm2(host(p.A), host(p.B)));
  }
  const acc = new Map<string, Acc>();
  for (const [name, b] of baseWeights) {
    const key = groupOf(name);
    if (!key) continue;
    const { base2, params } = sums(b, undefined);
    add(acc, key, { base2, params, delta2: deltas.get(name) ?? 0 });
    deltas.delete(name);
  }
  if (deltas.size > 0) throw new Error(`loraChangeReport: the base weights lack ${[...deltas.keys()].join(', ')}`);
  return finish(acc);
}

function fmtCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function fmtRel(r: number | null): string {
  if (r === null) return '—';
  if (r === 0) return '0';
  if (r >= 0.001) return `${(r * 100).toFixed(2)}%`;
  return `${(r * 100).toExponential(1)}%`;
}

/**
 * A text table for the CLI, one row per group in model order, with a bar scaled to the largest
 * change (eighth-block resolution, so a row that barely moved shows as empty).
 */
export function formatChangeReport(rows: ModuleChange[], width = 30): string {
  const max = Math.max(0, ...rows.map((r) => r.relative ?? 0));
  const nameW = Math.max(6, ...rows.map((r) => r.group.length));
  const blocks = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  const bar = (v: number) => {
    if (max <= 0) return '';
    const eighths = Math.round((v / max) * width * 8);
    return '█'.repeat(Math.floor(eighths / 8)) + blocks[eighths % 8];
  };
  const lines = [`${'module'.padEnd(nameW)}  ${'params'.padStart(7)}  ${'change'.padStart(9)}`];
  let prevStack = '';
  for (const r of rows) {
    if (prevStack && r.stack !== prevStack) lines.push('');
    prevStack = r.stack;
    lines.push(`${r.group.padEnd(nameW)}  ${fmtCount(r.params).padStart(7)}  ${fmtRel(r.relative).padStart(9)}  ${bar(r.relative ?? 0)}`.trimEnd());
  }
  lines.push('', 'change = ‖θ_tuned − θ_base‖ / ‖θ_base‖ over the tensors of each group');
  return lines.join('\n');
}
