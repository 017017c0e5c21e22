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
 *
 * Before anything is copied: every file must be a regular file (links are followed — an HF
 * snapshot folder is all links into blobs/ — but FIFOs, devices and sockets are refused), not
 * sparse (a 100 GB file of holes would be copied in full, and its holes read as zero weights),
 * the disk must hold the copy, and every weight must be finite (a NaN weight makes every output
 * NaN; it is refused naming the tensor rather than imported without a word).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync, type Stats } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { loadCheckpoint, type Checkpoint } from '../whisper/checkpoint.ts';
import { invalid } from '../whisper/checkpoint-error.ts';
import { kindOf } from '../util/user-files.ts';
import { checkDiskSpace, formatBytes, selectWhisperFiles } from './download.ts';
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

/** Files smaller than this are never called sparse (filesystems round small files oddly). */
const SPARSE_MIN_BYTES = 16 * 1024 * 1024;

/** Regular and not sparse: what is on disk must be (at least half) what the size says. */
export function checkModelFile(file: string): Stats {
  const st = statSync(file);
  if (!st.isFile()) throw new UserError('NOT_A_REGULAR_FILE', `${file} is ${kindOf(st)}, not a regular file; a model folder holds ordinary files only. Nothing was imported.`);
  // st.blocks is in 512-byte units (undefined on Windows, where this check is skipped).
  if (typeof st.blocks === 'number' && st.size > SPARSE_MIN_BYTES && st.blocks * 512 < st.size / 2) {
    throw new UserError(
      'MODEL_FILE_SPARSE',
      `${file} is a sparse file: ${formatBytes(st.size)} long but only ${formatBytes(st.blocks * 512)} on disk. Its holes read as zeros, so this is not a trained model (a truncated download or a placeholder?); importing it would write all ${formatBytes(st.size)}. Nothing was imported.`,
    );
  }
  return st;
}

/** Throws CHECKPOINT_INVALID naming the first tensor that holds NaN or ±Infinity, with the count. */
export function checkFiniteWeights(ckpt: Checkpoint): void {
  for (const [name, t] of ckpt.weights) {
    const d = t.data;
    let bad = 0;
    let firstAt = -1;
    for (let i = 0; i < d.length; i++) {
      const x = d[i];
      // x - x is NaN exactly for NaN and ±Infinity.
      if (x - x !== 0) {
        if (bad++ === 0) firstAt = i;
      }
    }
    if (bad) {
      const kind = Number.isNaN(d[firstAt]) ? 'NaN' : 'infinite';
      throw invalid(path.join(ckpt.dir, 'model.safetensors'), `holds ${bad.toLocaleString('en')} non-finite value(s) (the first, at index ${firstAt}, is ${kind}); a model with NaN or infinite weights outputs nothing useful. Nothing was imported`, `tensor "${name}"`);
    }
  }
}

export async function importLocalModel(
  srcDir: string,
  opts: { name?: string; cacheDir?: string; onFile?: (file: string) => void } = {},
): Promise<ImportResult> {
  const src = path.resolve(srcDir);
  const repo = validateRepoId(opts.name ? (opts.name.includes('/') ? opts.name : `local/${opts.name}`) : localRepoName(src));
  const cacheDir = opts.cacheDir ?? hubCacheDir();
  const files = selectWhisperFiles(repo, readdirSync(src));
  // Special and sparse files are refused before the loader opens anything.
  const sizes = files.map((f) => checkModelFile(path.join(src, f)).size);
  const ckpt = await loadCheckpoint(src); // throws CheckpointError naming the file and tensor
  checkFiniteWeights(ckpt);
  ckpt.weights.clear(); // the float copies are not needed for copying files
  await checkDiskSpace(cacheDir, sizes.reduce((a, b) => a + b, 0));

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
