/**
 * @file The Hugging Face Hub cache on disk, in exactly the layout `huggingface_hub` (Python)
 * uses, so a model downloaded by `transformers` is reused here and the other way round:
 *
 *   $HF_HUB_CACHE/models--org--name/
 *     blobs/<etag>                     file contents, named by the Hub's ETag (sha256 for LFS
 *                                      files, git blob sha1 for small ones); `<etag>.incomplete`
 *                                      while downloading
 *     snapshots/<commit>/<file>        relative symlink to ../../blobs/<etag> (nested files get
 *                                      more `../`)
 *     refs/<revision>                  the commit a branch or tag pointed at, no trailing newline
 *
 * This file only names paths and reads/writes that layout; it does no network I/O.
 */
import { existsSync, readdirSync, readFileSync, lstatSync, statSync } from 'node:fs';
import { copyFile, mkdir, readlink, rm, symlink, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';

/** `huggingface_hub`'s repo id rule: optional "org/", then 1–96 of [A-Za-z0-9_.-], no "--" or "..". */
const REPO_ID = /^(?:[\w.-]+\/)?[\w.-]{1,96}$/;

export function validateRepoId(repo: string): string {
  if (!REPO_ID.test(repo) || repo.includes('--') || repo.includes('..') || /^[.-]|[.-]$/.test(repo.split('/').pop()!)) {
    throw new UserError(
      'MODEL_ID_INVALID',
      `"${repo}" is not a Hugging Face repo id; use the form org/name, e.g. openai/whisper-base.en.`,
    );
  }
  return repo;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p;
}

/**
 * The hub cache folder, resolved the way `huggingface_hub.constants` does: HF_HUB_CACHE, then the
 * legacy HUGGINGFACE_HUB_CACHE, then $HF_HOME/hub, then $XDG_CACHE_HOME/huggingface/hub, then
 * ~/.cache/huggingface/hub.
 */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const direct = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (direct) return path.resolve(expandHome(direct));
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'huggingface');
  return path.resolve(expandHome(home), 'hub');
}

/** "openai/whisper-base" → "models--openai--whisper-base". */
export function repoFolderName(repo: string): string {
  return `models--${validateRepoId(repo).split('/').join('--')}`;
}

/** The inverse of repoFolderName, or null for folders that are not model repos (datasets--, .locks). */
export function repoIdFromFolder(name: string): string | null {
  if (!name.startsWith('models--')) return null;
  return name.slice('models--'.length).split('--').join('/');
}

export function repoCacheDir(repo: string, cacheDir: string = hubCacheDir()): string {
  return path.join(cacheDir, repoFolderName(repo));
}

export function blobPath(repo: string, blob: string, cacheDir: string = hubCacheDir()): string {
  return path.join(repoCacheDir(repo, cacheDir), 'blobs', blob);
}

export function snapshotPath(repo: string, commit: string, cacheDir: string = hubCacheDir()): string {
  return path.join(repoCacheDir(repo, cacheDir), 'snapshots', commit);
}

const COMMIT = /^[0-9a-f]{40}$/;

/** The commit a revision names in the cache: a commit hash is itself; a branch/tag reads refs/. */
export function readRef(repo: string, revision: string, cacheDir: string = hubCacheDir()): string | null {
  if (COMMIT.test(revision)) return revision;
  const p = path.join(repoCacheDir(repo, cacheDir), 'refs', revision);
  if (!existsSync(p)) return null;
  // Python writes the ref without a newline but tolerate one written by other tools.
  const commit = readFileSync(p, 'utf8').trim();
  return COMMIT.test(commit) ? commit : null;
}

export async function writeRef(repo: string, revision: string, commit: string, cacheDir: string = hubCacheDir()): Promise<void> {
  if (revision === commit) return; // a commit hash needs no ref (huggingface_hub does the same)
  const p = path.join(repoCacheDir(repo, cacheDir), 'refs', revision);
  writeFileAtomic(p, commit);
}

/**
 * Makes snapshots/<commit>/<file> point at blobs/<blob> with a relative symlink, replacing what
 * was there. Where symlinks are not allowed (Windows without developer mode) the blob is copied,
 * which is what huggingface_hub falls back to as well.
 */
export async function linkSnapshotFile(
  repo: string,
  commit: string,
  file: string,
  blob: string,
  cacheDir: string = hubCacheDir(),
): Promise<string> {
  const dst = path.join(snapshotPath(repo, commit, cacheDir), ...file.split('/'));
  const src = blobPath(repo, blob, cacheDir);
  await mkdir(path.dirname(dst), { recursive: true });
  const rel = path.relative(path.dirname(dst), src);
  try {
    if ((await readlink(dst).catch(() => null)) === rel) return dst;
    await unlink(dst).catch(() => undefined);
    await symlink(rel, dst);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP') throw e;
    await copyFile(src, dst);
  }
  return dst;
}

/**
 * The snapshot folder for a repo at a revision, or null when it is not cached. With `files`, it
 * also requires each of them to be present (a symlink whose blob exists, or a plain file), so a
 * half-finished download does not count as cached.
 */
export function findSnapshot(
  repo: string,
  opts: { revision?: string; cacheDir?: string; files?: readonly string[] } = {},
): string | null {
  const cacheDir = opts.cacheDir ?? hubCacheDir();
  const commit = readRef(repo, opts.revision ?? 'main', cacheDir);
  if (!commit) return null;
  const dir = snapshotPath(repo, commit, cacheDir);
  if (!existsSync(dir)) return null;
  for (const f of opts.files ?? []) {
    if (!existsSync(path.join(dir, ...f.split('/')))) return null; // existsSync follows the link
  }
  return dir;
}

export type CachedModel = {
  repo: string;
  dir: string;
  /** refs/<name> → commit. */
  refs: Record<string, string>;
  snapshots: string[];
  /** Bytes of complete blobs plus any plain (copied) snapshot files. */
  sizeOnDisk: number;
  /** Whether refs/main names a snapshot with config.json and safetensors weights. */
  usable: boolean;
};

function dirSize(dir: string, skip: (name: string) => boolean = () => false): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const name of readdirSync(dir)) {
    if (skip(name)) continue;
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) n += dirSize(p, skip);
    else if (st.isFile()) n += st.size;
  }
  return n;
}

/** Every model repo in the cache (Python's `scan_cache_dir`, models only). */
export function listCachedModels(cacheDir: string = hubCacheDir()): CachedModel[] {
  if (!existsSync(cacheDir)) return [];
  const out: CachedModel[] = [];
  for (const name of readdirSync(cacheDir).sort()) {
    const repo = repoIdFromFolder(name);
    const dir = path.join(cacheDir, name);
    if (!repo || !statSync(dir).isDirectory()) continue;
    const refsDir = path.join(dir, 'refs');
    const refs: Record<string, string> = {};
    if (existsSync(refsDir)) {
      for (const r of readdirSync(refsDir, { recursive: true }) as string[]) {
        const p = path.join(refsDir, r);
        if (statSync(p).isFile()) refs[r.split(path.sep).join('/')] = readFileSync(p, 'utf8').trim();
      }
    }
    const snapDir = path.join(dir, 'snapshots');
    const snapshots = existsSync(snapDir) ? readdirSync(snapDir).sort() : [];
    const sizeOnDisk = dirSize(path.join(dir, 'blobs'), (n) => n.endsWith('.incomplete')) + dirSize(snapDir);
    let usable = false;
    const main = refs.main ? path.join(snapDir, refs.main) : null;
    if (main && existsSync(path.join(main, 'config.json')) && existsSync(main)) {
      usable = readdirSync(main).some((f) => f.endsWith('.safetensors') && existsSync(path.join(main, f)));
    }
    out.push({ repo, dir, refs, snapshots, sizeOnDisk, usable });
  }
  return out;
}

/** Deletes a repo's whole cache folder (all snapshots and blobs). Returns the bytes freed. */
export async function removeCachedModel(repo: string, cacheDir: string = hubCacheDir()): Promise<{ removed: boolean; bytes: number }> {
  const dir = repoCacheDir(repo, cacheDir);
  if (!existsSync(dir)) return { removed: false, bytes: 0 };
  const bytes = dirSize(path.join(dir, 'blobs')) + dirSize(path.join(dir, 'snapshots'));
  await rm(dir, { recursive: true, force: true });
  return { removed: true, bytes };
}
