/**
 * Loads a Hugging Face Whisper folder into a ready model: checkpoint (validated) → tensors on the
 * active backend, plus its tokenizer. Host copies of the weights are dropped once uploaded.
 */
import type { Checkpoint } from './checkpoint.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { WhisperModel } from './model.ts';
import type { WhisperTokenizer } from './tokenizer.ts';

export interface LoadedWhisper {
  model: WhisperModel;
  tokenizer: WhisperTokenizer;
  checkpoint: Omit<Checkpoint, 'weights'>;
}

export async function loadWhisper(dir: string): Promise<LoadedWhisper> {
  const ckpt = await loadCheckpoint(dir);
  const model = WhisperModel.fromArrays(ckpt.dims, ckpt.weights);
  const { weights: _dropped, ...rest } = ckpt;
  return { model, tokenizer: ckpt.tokenizer, checkpoint: rest };
}
