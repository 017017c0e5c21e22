/**
 * @file Turns what a user types for `--model` into a checkpoint folder: a path to a folder, a
 * Hub repo id already in the HF cache ("openai/whisper-base.en", optionally "@revision"), or a
 * known short name ("base.en"). It never downloads; the error says how to.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { findSnapshot, hubCacheDir } from './hf-cache.ts';
import { KNOWN_MODELS, resolveRepoId } from './known-models.ts';

const REPO_LIKE = /^[\w.-]+(\/[\w.-]+)?(@[\w./-]+)?$/;

/**
 * `relativePaths: false` (the app's API): a ref is an absolute folder or a cached repo id, never
 * a folder relative to the serving process's working directory — "node_modules/tsx" is a repo id
 * that is not downloaded, not the server's own node_modules.
 */
export function resolveModelDir(ref: string, opts: { cacheDir?: string; relativePaths?: boolean } = {}): string {
  const pathAllowed = opts.relativePaths !== false || path.isAbsolute(ref);
  if (pathAllowed && existsSync(ref) && statSync(ref).isDirectory()) return path.resolve(ref);
  const looksLikePath = ref.startsWith('.') || ref.startsWith('/') || ref.includes('\\') || ref.startsWith('~');
  if (!looksLikePath && REPO_LIKE.test(ref)) {
    const [id, revision] = ref.split('@');
    const repo = resolveRepoId(id);
    if (repo.includes('/')) {
      const dir = findSnapshot(repo, { revision: revision || 'main', cacheDir: opts.cacheDir ?? hubCacheDir(), files: ['config.json'] });
      if (dir) return dir;
      throw new UserError(
        'MODEL_NOT_FOUND',
        `${repo}${revision ? `@${revision}` : ''} is not downloaded yet; run \`vocab-tuner models download ${repo}${revision ? ` --revision ${revision}` : ''}\` first.`,
      );
    }
  }
  throw new UserError(
    'MODEL_NOT_FOUND',
    `"${ref}" is neither a model folder nor a Hub repo id; pass a folder with config.json and model.safetensors, or one of: ${KNOWN_MODELS.map((m) => m.name).join(', ')}.`,
  );
}
