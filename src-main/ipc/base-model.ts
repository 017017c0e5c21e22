/**
 * @file The project's base model: what Tune trains, Compare compares against and pre-labelling
 * transcribes with. Stored in the project row as a model reference (a Hub id such as
 * "openai/whisper-tiny.en", an imported "local/<name>", or a folder), resolved to a checkpoint
 * folder in the Hugging Face cache when used, so a removed model is reported, not guessed.
 */
import { UserError } from '../util/errors.ts';
import type { Db } from '../store/db.ts';
import { findProjectById } from '../store/projects.ts';
import { resolveModelDir } from '../models/model-ref.ts';
import type { Run } from '../store/runs.ts';
import { runBaseModel } from '../tuning/run.ts';

export function baseModelRef(db: Db, projectId: number): string | null {
  return findProjectById(db, projectId).baseModel;
}

/** The base model's reference and folder; throws NO_BASE_MODEL / MODEL_NOT_FOUND with what to do. */
export function requireBaseModel(db: Db, projectId: number): { ref: string; dir: string } {
  const ref = baseModelRef(db, projectId);
  if (!ref) {
    throw new UserError('NO_BASE_MODEL', 'No base model is chosen yet. On the Models page, download a Whisper model or import a local model folder, then press "Use as base".');
  }
  // Never relative to the server's working directory (a stored "node_modules/tsx" is a repo id).
  return { ref, dir: resolveModelDir(ref, { relativePaths: false }) };
}

/** The folder of the base model run `r` was tuned from (the project's base for rows that do not record it). */
export function runBaseModelDir(db: Db, projectId: number, r: Run): string {
  const ref = runBaseModel(r);
  return ref ? resolveModelDir(ref) : requireBaseModel(db, projectId).dir;
}
