/**
 * What a run leaves behind: a LoRA run writes a PEFT adapter (loads in Hugging Face PEFT
 * unchanged); every other method writes a complete merged Hugging Face Whisper folder. Both forms
 * are accepted by `--adapter` (see apply-adapter.ts). Also the per-module change report.
 */
import type { WhisperDims } from '../whisper/config.ts';
import type { WhisperModel } from '../whisper/model.ts';
import { changeReport, loraChangeReport, type ModuleChange } from './change-report.ts';
import { toHostWeights, writeHfModel } from './merge.ts';
import type { TrainableSet } from './methods.ts';
import { adapterPairs, writePeftAdapter } from './peft.ts';

export async function exportRunArtifacts(dir: string, o: { modelDir: string; model: WhisperModel; set: TrainableSet; dims: WhisperDims }): Promise<void> {
  if (o.set.lora) {
    await writePeftAdapter(o.set.lora, dir, { baseModel: o.modelDir, dims: o.dims, overwrite: true });
    return;
  }
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of o.model.weights.map) weights.set(name, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  await writeHfModel(o.modelDir, weights, dir, { overwrite: true });
}

/** Relative weight change per module group (for LoRA: of ΔW = scaling·B·A). */
export async function reportFor(model: WhisperModel, set: TrainableSet): Promise<ModuleChange[]> {
  // Host copies first (awaited reads: WebGPU has no synchronous readback under Node).
  const tuned = await toHostWeights(model.weights.map);
  if (set.lora) return loraChangeReport(tuned, { scaling: set.lora.scaling, pairs: await adapterPairs(set.lora) });
  const base = new Map(tuned);
  for (const [name, t] of await toHostWeights(set.base)) base.set(name, t);
  return changeReport(base, tuned);
}
