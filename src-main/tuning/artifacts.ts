/**
 * What a run leaves behind: a LoRA run writes a PEFT adapter (loads in Hugging Face PEFT
 * unchanged); every other method writes a complete merged Hugging Face Whisper folder. Both forms
 * are accepted by `--adapter` (see apply-adapter.ts). Also the per-module change report.
 */
import { changeReport, loraChangeReport, type ModuleChange } from './change-report.ts';
import { toHostWeights, writeHfModel } from './merge.ts';
import type { TrainableSet } from './methods.ts';
import { adapterPairs, writePeftAdapter } from './peft.ts';

export async function exportRunArtifacts(dir: string, o: { modelDir: string; set: TrainableSet }): Promise<void> {
  if (o.set.lora) {
    await writePeftAdapter(o.set.lora, dir, { baseModel: o.modelDir, dims: o.set.tuned.dims, overwrite: true });
    return;
  }
  await writeHfModel(o.modelDir, await toHostWeights(o.set.tuned.tensors()), dir, { overwrite: true });
}

/** Relative weight change per module group (for LoRA: of ΔW = scaling·B·A). */
export async function reportFor(set: TrainableSet): Promise<ModuleChange[]> {
  // Host copies first (awaited reads: WebGPU has no synchronous readback under Node).
  const base = await toHostWeights(set.base.tensors());
  if (set.lora) return loraChangeReport(base, { scaling: set.lora.scaling, pairs: await adapterPairs(set.lora) });
  return changeReport(base, await toHostWeights(set.tuned.tensors()));
}
