/**
 * @file Imports a local Hugging Face Whisper folder (a fine-tune saved with `save_pretrained`, a
 * copy from another machine) into the HF cache as repo `local/<name>`, so it is listed, removed
 * and passed around (`--model local/<name>`) like a downloaded model.
 *
 * The folder is validated first with the checkpoint loader (config, tokenizer, every tensor's
 * shape), so a broken folder fails here with the file and tensor named, not at transcription.
 * Files are stored as content-addressed blobs (sha256, like LFS files) under a commit id derived
 * from the contents, so importing the same folder twice is a no-op and changed files make a new
 * snapshot.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { loadCheckpoint } from '../whisper/checkpoint.ts';
import { selectWhisperFiles } from './download.ts';
import { blobPath, hubCacheDir, linkSnapshotFile, snapshotPath, validateRepoId, writeRef } from './hf-cache.ts';

export type ImportResult = { repo: string; commit: string; snapshotDir: string; files: string[]; alreadyImported: boolean };

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/** A repo-id-safe name from a folder name: "My Tune (v2)" → "My-Tune-v2". */
export function localRepoName(dir: string): string {
  const base = path.basename(path.resolve(dir)).replace(/[^\w.-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return `local/${base.slice(0, 96) || 'model'}`;
}

export async function importLocalModel(
  srcDir: string,
  opts: { name?: string; cacheDir?: string; onFile?: (file: string) => void } = {},
): Promise<ImportResult> {
  const src = path.resolve(srcDir);
  await loadCheckpoint(src); // throws CheckpointError naming the file and tensor
  const repo = validateRepoId(opts.name ? (opts.name.includes('/') ? opts.name : `local/${opts.name}`) : localRepoName(src));
  const cacheDir = opts.cacheDir ?? hubCacheDir();
  const files = selectWhisperFiles(repo, readdirSync(src));

  const hashes = new Map<string, string>();
  for (const f of files) hashes.set(f, await sha256File(path.join(src, f)));
  // A git-like commit id over (name, content) pairs: same folder → same snapshot.
  const commit = createHash('sha1')
    .update([...hashes].map(([f, h]) => `${f}\0${h}\n`).join(''))
    .digest('hex');
  const snap = snapshotPath(repo, commit, cacheDir);
  const alreadyImported = files.every((f) => existsSync(path.join(snap, f)));

  if (!alreadyImported) {
    for (const [f, h] of hashes) {
      opts.onFile?.(f);
      const blob = blobPath(repo, h, cacheDir);
      if (!existsSync(blob)) {
        await mkdir(path.dirname(blob), { recursive: true });
        await copyFile(path.join(src, f), `${blob}.incomplete`);
        if ((await sha256File(`${blob}.incomplete`)) !== h) {
          throw new UserError('IMPORT_CHANGED', `${path.join(src, f)} changed while it was being imported; close whatever writes to it and import again.`);
        }
        await rename(`${blob}.incomplete`, blob);
      }
      await linkSnapshotFile(repo, commit, f, h, cacheDir);
    }
  }
  await writeRef(repo, 'main', commit, cacheDir);
  return { repo, commit, snapshotDir: snap, files, alreadyImported };
}
