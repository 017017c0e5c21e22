/**
 * The one error type for a Whisper checkpoint folder that cannot be used: a missing folder, a
 * damaged safetensors file, a config that contradicts the weights, a missing tokenizer. The
 * message names the file (and the tensor or field) so a user knows which download to repeat.
 */
import { UserError } from '../util/errors.ts';

export type CheckpointErrorCode = 'CHECKPOINT_INVALID' | 'CHECKPOINT_NOT_FOUND';

export class CheckpointError extends UserError {
  constructor(
    code: CheckpointErrorCode,
    message: string,
    /** The file the problem is in (absolute or as given), for callers that want it apart. */
    readonly file?: string,
    /** The tensor or JSON field concerned, as shown: `tensor "model.x"`, `field "d_model"`. */
    readonly item?: string,
  ) {
    super(code, message);
    this.name = 'CheckpointError';
  }
}

/** `CHECKPOINT_INVALID` for `file`, optionally naming a tensor or field (`tensor "name"`). */
export function invalid(file: string, what: string, item?: string): CheckpointError {
  const where = item === undefined ? file : `${file}, ${item}`;
  return new CheckpointError(
    'CHECKPOINT_INVALID',
    `${where}: ${what}. The checkpoint is damaged or not a Whisper model; download or export it again.`,
    file,
    item,
  );
}
