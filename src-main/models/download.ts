/**
 * @file Downloads a Whisper checkpoint from the Hugging Face Hub into the shared HF cache:
 *
 *   1. GET /api/models/{repo}/revision/{rev}   → the commit sha and the repo's file list
 *   2. pick the files a Whisper checkpoint needs (safetensors only, never .bin/.h5/.msgpack/.onnx)
 *   3. files already in snapshots/<commit>/ are done: no request for them at all
 *   4. HEAD /{repo}/resolve/{rev}/{file}, stopping at the CDN redirect, for ETag / X-Linked-Etag
 *      (the sha256 of LFS files) and X-Linked-Size; a blob already present under that name (another
 *      revision, or Python got it first) is only linked
 *   5. check free disk space for everything still missing, before writing a byte
 *   6. GET into blobs/<etag>.incomplete, resuming with `Range: bytes=N-` after a dropped connection
 *      or a cancelled run; a server that ignores Range (200) restarts the file
 *   7. verify sha256 (LFS) or the git blob sha1 (small files) and only then rename into blobs/ and
 *      link snapshots/<commit>/<file>; write refs/<rev> last
 *
 * A corrupt file therefore never becomes visible in snapshots/, which is the failure desktop
 * Whisper apps are most often reported for (a `.part` file loaded as a model).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, rename, statfs, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { blobPath, findSnapshot, hubCacheDir, linkSnapshotFile, readRef, snapshotPath, validateRepoId, writeRef } from './hf-cache.ts';
import { HubClient, HubError, hubErrorFor, isNetworkError, sleep, unreachable, type HubClientOptions } from './hub-client.ts';
import { resolveRepoId } from './known-models.ts';

/** Small files of an HF Whisper folder, fetched when the repo has them. */
export const WHISPER_CONFIG_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.json',
  'merges.txt',
  'added_tokens.json',
  'special_tokens_map.json',
  'normalizer.json',
] as const;

const SHARD = /^model-\d{5}-of-\d{5}\.safetensors$/;

/** The files to fetch out of a repo's file list: configs + tokenizer + safetensors weights. */
export function selectWhisperFiles(repo: string, siblings: readonly string[]): string[] {
  const have = new Set(siblings);
  if (!have.has('config.json')) {
    throw new UserError('MODEL_NOT_WHISPER', `${repo} has no config.json at its top level, so it is not a Transformers model repo; pick a Whisper repo such as openai/whisper-base.en.`);
  }
  const out: string[] = WHISPER_CONFIG_FILES.filter((f) => have.has(f));
  if (have.has('model.safetensors')) out.push('model.safetensors');
  else if (have.has('model.safetensors.index.json')) out.push('model.safetensors.index.json', ...siblings.filter((f) => SHARD.test(f)).sort());
  else {
    throw new UserError(
      'MODEL_NO_SAFETENSORS',
      `${repo} has no model.safetensors (only .bin/.h5/.msgpack weights, which are not loaded for safety); pick a repo with safetensors weights or convert it with transformers' save_pretrained(safe_serialization=True).`,
    );
  }
  return out;
}

export type DownloadProgress = {
  file: string;
  /** Bytes of this file on disk so far (including bytes from an earlier, resumed attempt). */
  bytes: number;
  total: number;
  /** Bytes per second over the last few seconds. */
  speed: number;
  /** Seconds left for this file at the current speed, null while unknown. */
  eta: number | null;
  /** Across all files of this download. */
  overallBytes: number;
  overallTotal: number;
  done: boolean;
};

export type DownloadOptions = HubClientOptions & {
  revision?: string;
  /** The hub cache folder; defaults to HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub. */
  cacheDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Extra resume attempts after a body breaks off mid-file. */
  resumeAttempts?: number;
};

export type DownloadResult = {
  repo: string;
  revision: string;
  commit: string;
  snapshotDir: string;
  files: string[];
  /** Bytes fetched over the network by this call. */
  downloadedBytes: number;
  /** True when nothing had to be fetched. */
  fromCache: boolean;
  /** True when the Hub could not be reached (or HF_HUB_OFFLINE is set) and the cache answered. */
  offline: boolean;
};

type RevisionInfo = { sha: string; siblings?: { rfilename: string }[] };
type FileMeta = { file: string; etag: string; size: number; url: string };

/** `W/"abc"` → `abc`: the blob name huggingface_hub uses. */
export function normalizeEtag(etag: string | string[] | undefined): string | null {
  const e = Array.isArray(etag) ? etag[0] : etag;
  if (!e) return null;
  return e.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Fails before any byte is written when the cache's disk cannot hold `bytes` more. */
export async function checkDiskSpace(dir: string, bytes: number): Promise<void> {
  let probe = path.resolve(dir);
  while (!existsSync(probe)) probe = path.dirname(probe);
  const st = await statfs(probe);
  const free = Number(st.bavail) * Number(st.bsize);
  const margin = 16 * 1024 * 1024; // room for refs, symlinks and the filesystem's own needs
  if (free < bytes + margin) {
    throw new UserError(
      'DISK_SPACE_LOW',
      `The download needs ${formatBytes(bytes)} in ${dir} but only ${formatBytes(free)} is free; free up space or set HF_HOME to a folder on a bigger disk.`,
    );
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** sha256 for LFS etags (64 hex), git's blob sha1 for small files (40 hex), else nothing to check. */
async function verifyBlob(file: string, etag: string, size: number): Promise<void> {
  const isSha256 = /^[0-9a-f]{64}$/.test(etag);
  const isGitSha1 = /^[0-9a-f]{40}$/.test(etag);
  if (!isSha256 && !isGitSha1) return;
  const h = createHash(isSha256 ? 'sha256' : 'sha1');
  if (isGitSha1) h.update(`blob ${size}\0`);
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  const got = h.digest('hex');
  if (got !== etag) {
    throw new UserError(
      'DOWNLOAD_CHECKSUM_MISMATCH',
      `${path.basename(file, '.incomplete')}: the downloaded bytes have ${isSha256 ? 'sha256' : 'git sha1'} ${got} but the Hub says ${etag}; the corrupt file was deleted, run the download again.`,
    );
  }
}

/** Speed over a sliding window of recent samples, so one slow second does not swing the ETA. */
class SpeedMeter {
  private samples: { t: number; bytes: number }[] = [];
  add(bytes: number): number {
    const t = performance.now();
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[0].t > 5000) this.samples.shift();
    const first = this.samples[0];
    const dt = (t - first.t) / 1000;
    return dt > 0.05 ? (bytes - first.bytes) / dt : 0;
  }
}

function cancelled(signal: AbortSignal | undefined): boolean {
  return !!signal?.aborted;
}

function cancelError(): UserError {
  return new UserError('DOWNLOAD_CANCELLED', 'The download was cancelled; run it again to resume where it stopped.');
}

/**
 * A boolean environment variable read as huggingface_hub reads it (`constants._is_true`:
 * `value.upper() in {"1", "ON", "YES", "TRUE"}`); anything else (unset, 0, off, no, "") is false.
 */
export function isEnvTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(v.toUpperCase());
}

/** Downloads (or finds in the cache) a Whisper checkpoint; returns its snapshot folder. */
export async function downloadModel(repoOrName: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const repo = validateRepoId(resolveRepoId(repoOrName));
  const revision = opts.revision ?? 'main';
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir ?? hubCacheDir(env);
  const signal = opts.signal;
  const client = new HubClient(opts);

  const offlineAnswer = (why: unknown): DownloadResult => {
    const dir = findSnapshot(repo, { revision, cacheDir, files: ['config.json'] });
    if (!dir) {
      if (why instanceof Error) throw why;
      throw new UserError('MODEL_NOT_CACHED', `${repo}@${revision} is not in the cache (${cacheDir}) and HF_HUB_OFFLINE is set; unset it to download.`);
    }
    return { repo, revision, commit: path.basename(dir), snapshotDir: dir, files: [], downloadedBytes: 0, fromCache: true, offline: true };
  };
  if (isEnvTrue(env.HF_HUB_OFFLINE)) return offlineAnswer(null);

  // 1–2. Which commit, which files. With a usable copy in the cache, give up on an unreachable
  // Hub quickly (one retry) instead of making the user wait through the full backoff.
  const haveCopy = !!findSnapshot(repo, { revision, cacheDir, files: ['config.json'] });
  const apiClient = haveCopy ? new HubClient({ ...opts, retries: Math.min(opts.retries ?? 4, 1) }) : client;
  let info: RevisionInfo;
  try {
    info = await apiClient.getJson<RevisionInfo>(client.apiRevisionUrl(repo, revision), `${repo}@${revision}`, signal);
  } catch (e) {
    if (cancelled(signal)) throw cancelError();
    if ((e as HubError).code === 'HUB_UNREACHABLE') return offlineAnswer(e);
    throw e;
  }
  const commit = info.sha;
  if (!/^[0-9a-f]{40}$/.test(commit ?? '')) throw new HubError('HUB_BAD_RESPONSE', `${repo}@${revision}: the Hub's answer has no commit sha; check HF_ENDPOINT (${client.endpoint}).`);
  const files = selectWhisperFiles(repo, (info.siblings ?? []).map((s) => s.rfilename));
  const snap = snapshotPath(repo, commit, cacheDir);

  // 3. Files already in this snapshot need nothing.
  const missing = files.filter((f) => !existsSync(path.join(snap, ...f.split('/'))));
  if (missing.length === 0) {
    await writeRef(repo, revision, commit, cacheDir);
    return { repo, revision, commit, snapshotDir: snap, files, downloadedBytes: 0, fromCache: true, offline: false };
  }

  // 4. Metadata for the missing ones. The commit is pinned so every file comes from one revision.
  const metas: FileMeta[] = [];
  for (const file of missing) {
    const url = client.resolveUrl(repo, commit, file);
    const res = await client.request(url, { method: 'HEAD', signal, redirect: 'same-host' }).catch((e) => {
      throw cancelled(signal) ? cancelError() : e;
    });
    res.body.resume();
    if (res.status >= 400) throw hubErrorFor(res.status, res.headers, `${repo}/${file}`, !!client.token);
    const h = res.hubHeaders;
    const etag = normalizeEtag(header(h, 'x-linked-etag') ?? header(h, 'etag'));
    const size = Number(header(h, 'x-linked-size') ?? header(h, 'content-length'));
    if (!etag || !Number.isFinite(size)) {
      throw new HubError('HUB_BAD_RESPONSE', `${repo}/${file}: the Hub sent no ETag or size, so the file cannot be verified; check HF_ENDPOINT and any proxy in between.`);
    }
    metas.push({ file, etag, size, url });
  }

  // 5. Disk space for what is not on disk yet (a partial .incomplete counts as already there).
  const partial = (m: FileMeta) => {
    const p = `${blobPath(repo, m.etag, cacheDir)}.incomplete`;
    return existsSync(p) ? Math.min(statSync(p).size, m.size) : 0;
  };
  const todo = metas.filter((m) => !existsSync(blobPath(repo, m.etag, cacheDir)));
  await checkDiskSpace(cacheDir, todo.reduce((n, m) => n + m.size - partial(m), 0));

  // 6–7. Fetch, verify, publish.
  const overallTotal = metas.reduce((n, m) => n + m.size, 0);
  let overallDone = 0;
  let downloadedBytes = 0;
  await mkdir(path.join(path.dirname(blobPath(repo, 'x', cacheDir))), { recursive: true });
  for (const m of metas) {
    const blob = blobPath(repo, m.etag, cacheDir);
    if (!existsSync(blob)) {
      downloadedBytes += await fetchBlob(client, m, blob, opts, (bytes, speed, eta, done) =>
        opts.onProgress?.({ file: m.file, bytes, total: m.size, speed, eta, overallBytes: overallDone + bytes, overallTotal, done }),
      );
    } else {
      opts.onProgress?.({ file: m.file, bytes: m.size, total: m.size, speed: 0, eta: 0, overallBytes: overallDone + m.size, overallTotal, done: true });
    }
    await linkSnapshotFile(repo, commit, m.file, m.etag, cacheDir);
    overallDone += m.size;
  }
  await writeRef(repo, revision, commit, cacheDir);
  return { repo, revision, commit, snapshotDir: snap, files, downloadedBytes, fromCache: downloadedBytes === 0, offline: false };
}

/**
 * Streams one file into `<blob>.incomplete`, resuming with Range after a break, then verifies
 * and renames it to `<blob>`. Returns the bytes fetched over the network.
 */
async function fetchBlob(
  client: HubClient,
  m: FileMeta,
  blob: string,
  opts: DownloadOptions,
  progress: (bytes: number, speed: number, eta: number | null, done: boolean) => void,
): Promise<number> {
  const tmp = `${blob}.incomplete`;
  const signal = opts.signal;
  const maxResumes = opts.resumeAttempts ?? 5;
  const meter = new SpeedMeter();
  let fetched = 0;
  let lastEmit = 0;
  for (let attempt = 0; ; attempt++) {
    let have = existsSync(tmp) ? statSync(tmp).size : 0;
    if (have > m.size) {
      await truncate(tmp, 0); // a stale partial of something else; start over
      have = 0;
    }
    if (have < m.size || (m.size === 0 && !existsSync(tmp))) {
      try {
        const res = await client.request(m.url, { signal, headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
        if (res.status === 416) {
          res.body.resume();
          await truncate(tmp, 0);
          continue;
        }
        if (res.status >= 400) {
          res.body.resume();
          throw hubErrorFor(res.status, res.headers, `${m.url}`, !!client.token);
        }
        const range = /^bytes (\d+)-/.exec(header(res.headers, 'content-range') ?? '');
        if (res.status !== 206 || !range || Number(range[1]) !== have) {
          // The server ignored Range (plain 200) or answered another range: start the file over.
          if (res.status === 206) {
            res.body.resume();
            await truncate(tmp, 0);
            continue;
          }
          have = 0;
        }
        await appendBody(res.body, tmp, have > 0, (chunk) => {
          const bytes = (have += chunk);
          fetched += chunk;
          const now = performance.now();
          if (now - lastEmit > 100) {
            lastEmit = now;
            const speed = meter.add(bytes);
            progress(bytes, speed, speed > 0 ? (m.size - bytes) / speed : null, false);
          }
        });
      } catch (e) {
        if (cancelled(signal)) throw cancelError();
        if (e instanceof HubError && e.code !== 'HUB_UNREACHABLE') throw e;
        if (!(isNetworkError(e) || (e as Error).message === 'aborted' || e instanceof HubError) || attempt >= maxResumes) {
          throw e instanceof HubError ? e : unreachable(client.endpoint, e);
        }
        await sleep(Math.min(30_000, (opts.backoffMs ?? 1000) * 2 ** attempt), signal).catch(() => {
          throw cancelError();
        });
        continue;
      }
      have = statSync(tmp).size;
      if (have < m.size) continue; // the body ended early without an error: resume
    }
    break;
  }
  try {
    if (statSync(tmp).size !== m.size) {
      throw new UserError('DOWNLOAD_SIZE_MISMATCH', `${m.file}: got ${statSync(tmp).size} bytes but the Hub says ${m.size}; the file was deleted, run the download again.`);
    }
    await verifyBlob(tmp, m.etag, m.size);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await rename(tmp, blob);
  progress(m.size, 0, 0, true);
  return fetched;
}

/**
 * Writes a response body to `file`. Unlike stream.pipeline, a body that breaks off does not
 * destroy the file stream: every byte received is still flushed to disk, so the resume offset
 * (the file's length) is exactly what arrived. Rejects with the body's error after flushing.
 */
function appendBody(body: NodeJS.ReadableStream & { destroy(): void }, file: string, append: boolean, onChunk: (n: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // A large buffer keeps the body flowing (no pause), so no bytes wait in the socket's buffer
    // when it fails; the bytes that do wait are simply fetched again by the next Range request.
    const out = createWriteStream(file, { flags: append ? 'a' : 'w', highWaterMark: 8 * 1024 * 1024 });
    let failure: unknown = null;
    body.on('data', (chunk: Buffer) => {
      onChunk(chunk.length);
      if (!out.write(chunk)) {
        body.pause();
        out.once('drain', () => body.resume());
      }
    });
    let ended = false;
    const finish = (e: unknown) => {
      if (ended) return;
      ended = true;
      failure = e;
      out.end();
    };
    body.on('end', () => finish(null));
    body.on('error', finish);
    // A socket closed mid-body may surface only as 'close' (no 'end'): that is a break too.
    body.on('close', () => finish(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    out.on('error', (e) => {
      body.destroy();
      reject(e);
    });
    out.on('finish', () => (failure ? reject(failure) : resolve()));
  });
}

/** The snapshot folder of an already-cached model, or null (no network). */
export function cachedSnapshot(repoOrName: string, opts: { revision?: string; cacheDir?: string } = {}): string | null {
  const repo = validateRepoId(resolveRepoId(repoOrName));
  const cacheDir = opts.cacheDir ?? hubCacheDir();
  if (!readRef(repo, opts.revision ?? 'main', cacheDir)) return null;
  return findSnapshot(repo, { revision: opts.revision, cacheDir, files: ['config.json'] });
}
