/**
 * @file "What changed" as chart columns: the trainer's per-module rows (`tuning/change-report.ts`)
 * pooled per layer, in model order — encoder stem, encoder blocks early → late, encoder final
 * norm, decoder embeddings, decoder blocks, decoder final norm, output. Pooling uses the norms,
 * not an average of ratios: ‖Δ‖/‖W‖ over the layer's tensors = √(ΣΔ²) / √(ΣW²).
 */
import type { ModuleChange } from '../../../src-main/ipc/contract.ts';

export interface ChangeColumn {
  key: string;
  label: string;
  stack: ModuleChange['stack'];
  relative: number;
  params: number;
}

export function changeColumns(rows: readonly ModuleChange[]): ChangeColumn[] {
  const cols = new Map<string, { label: string; stack: ModuleChange['stack']; base2: number; delta2: number; params: number }>();
  for (const r of rows) {
    const key =
      r.stack === 'output' ? 'output'
      : r.layer !== null ? `${r.stack}.${r.layer}`
      : r.kind === 'final_layer_norm' ? `${r.stack}.final`
      : `${r.stack}.stem`;
    const label =
      r.stack === 'output' ? 'out'
      : r.layer !== null ? `${r.stack === 'encoder' ? 'E' : 'D'}${r.layer}`
      : r.kind === 'final_layer_norm' ? `${r.stack === 'encoder' ? 'E' : 'D'} norm`
      : r.stack === 'encoder' ? 'E stem' : 'D embed';
    const c = cols.get(key) ?? { label, stack: r.stack, base2: 0, delta2: 0, params: 0 };
    c.base2 += r.baseNorm ** 2;
    c.delta2 += r.deltaNorm ** 2;
    c.params += r.params;
    cols.set(key, c);
  }
  // Report order is model order already (change-report.ts sorts it); Map keeps first-seen order.
  return [...cols].map(([key, c]) => ({ key, label: c.label, stack: c.stack, params: c.params, relative: c.base2 > 0 ? Math.sqrt(c.delta2 / c.base2) : 0 }));
}
