/**
 * Errors from the data store. A subclass of UserError so the CLI prints `error [CODE]: message`
 * and the IPC layer passes code + message to the renderer.
 *
 * Codes: STORE_TOO_NEW, STORE_OPEN_FAILED, AUDIO_MISSING, AUDIO_CHECKSUM_MISMATCH, AUDIO_EMPTY,
 * AUDIO_TOO_LONG, AUDIO_DECODE_FAILED (from the audio module), TRANSCRIPT_TOO_LONG,
 * TRANSCRIPT_EMPTY, IMPORT_UNSAFE_PATH, IMPORT_DUPLICATE, IMPORT_METADATA_INVALID,
 * IMPORT_NOTHING_FOUND, EXPORT_TARGET_EXISTS, EXPORT_CSV_FORMULA, NOT_FOUND, TERM_INVALID,
 * TERM_EXISTS, SPLIT_HELD_OUT, SPLIT_TRAINED_ON.
 */
import { UserError } from '../util/errors.ts';

export class StoreError extends UserError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'StoreError';
  }
}
