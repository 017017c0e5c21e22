import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeColumns } from '../../../src-renderer/features/tune/change-columns.ts';
import { probText } from '../../../src-renderer/features/compare/prob-text.ts';
import type { ModuleChange } from '../../../src-main/ipc/contract.ts';

const row = (group: string, stack: ModuleChange['stack'], layer: number | null, kind: string, baseNorm: number, deltaNorm: number): ModuleChange => ({
  group, stack, layer, kind, params: 10, baseNorm, deltaNorm, relative: baseNorm ? deltaNorm / baseNorm : null,
});

test('"What changed" pools a layer by norms (not by averaging ratios) and keeps model order', () => {
  const cols = changeColumns([
    row('encoder.conv1', 'encoder', null, 'conv', 1, 0),
    row('encoder.layers.0.self_attn', 'encoder', 0, 'self_attention', 3, 0),
    row('encoder.layer_norm', 'encoder', null, 'final_layer_norm', 1, 0),
    row('decoder.embed_tokens', 'decoder', null, 'embedding', 2, 0),
    row('decoder.layers.0.self_attn', 'decoder', 0, 'self_attention', 3, 0.3),
    row('decoder.layers.0.mlp', 'decoder', 0, 'mlp', 4, 0.4),
    row('output', 'output', null, 'output', 2, 1),
  ]);
  assert.deepEqual(cols.map((c) => c.label), ['E stem', 'E0', 'E norm', 'D embed', 'D0', 'out']);
  const d0 = cols.find((c) => c.label === 'D0')!;
  // √(0.3² + 0.4²) / √(3² + 4²) = 0.5 / 5 — the mean of the two ratios would also be 0.1 here, so
  // check a case where they differ: the pooled value weights the bigger tensor more.
  assert.ok(Math.abs(d0.relative - 0.1) < 1e-12);
  assert.equal(d0.params, 20);
  const skew = changeColumns([row('decoder.layers.1.a', 'decoder', 1, 'mlp', 10, 0), row('decoder.layers.1.b', 'decoder', 1, 'mlp', 1, 1)]);
  assert.ok(Math.abs(skew[0].relative - 1 / Math.sqrt(101)) < 1e-12, 'not (0 + 1) / 2');
  assert.equal(cols.find((c) => c.label === 'out')!.relative, 0.5);
});

test('tiny probabilities stay readable', () => {
  assert.equal(probText(0.5), '50.0%');
  assert.equal(probText(0.001), '0.1%');
  assert.equal(probText(9.08e-6), '0.00091%');
  assert.equal(probText(0), '0%');
});
