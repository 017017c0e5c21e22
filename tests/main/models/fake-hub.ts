/**
 * @file A local stand-in for the Hugging Face Hub, real HTTP on 127.0.0.1, for the download tests.
 * It copies the parts of the Hub's wire behaviour the downloader depends on:
 *
 * - `GET /api/models/{repo}/revision/{rev}` → `{ sha, siblings: [{ rfilename }] }`
 * - `/{repo}/resolve/{rev}/{file}`: small files answer 200 with a quoted git-sha1 ETag; LFS files
 *   (*.safetensors) answer 302 to a "CDN" on another origin (a second server), with
 *   `X-Linked-Etag` (quoted sha256), `X-Linked-Size` and `X-Repo-Commit` on the redirect
 * - Range requests (206 + Content-Range) on both
 * - 404 + `X-Error-Code: RepoNotFound` for unknown repos, `RevisionNotFound`, `EntryNotFound`
 * - 401 + `X-Error-Code: GatedRepo` for a gated repo without the right Bearer token
 *
 * Faults for the tests: drop the connection after N bytes, stall after N bytes, corrupt a byte,
 * ignore Range, or claim a huge size. Every request is logged.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export type FakeRepo = {
  id: string;
  commit: string;
  files: Map<string, Buffer>;
  /** When set, every request for this repo needs `Authorization: Bearer <gatedToken>`. */
  gatedToken?: string;
};

export type Faults = {
  /** file name → drop the socket after this many body bytes (once per entry). */
  dropAfter?: Map<string, number>;
  /** file name → stop sending (but keep the socket open) after this many bytes (once). */
  stallAfter?: Map<string, number>;
  /** files whose served bytes have one byte flipped. */
  corrupt?: Set<string>;
  /** Answer 200 with the whole file even when a Range is asked for. */
  ignoreRange?: boolean;
  /** file name → size to claim in X-Linked-Size. */
  claimSize?: Map<string, number>;
};

export type LoggedRequest = { server: 'hub' | 'cdn'; method: string; path: string; range?: string; auth?: string };

export type FakeHub = {
  endpoint: string;
  cdnOrigin: string;
  log: LoggedRequest[];
  faults: Faults;
  close: () => Promise<void>;
};

const isLfs = (file: string) => file.endsWith('.safetensors');
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function error(res: http.ServerResponse, status: number, code: string | null, message: string): void {
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json' };
  if (code) headers['X-Error-Code'] = code;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: message }));
}

/** Serves `body` honouring Range and the faults registered for `file`. */
function serveBytes(req: http.IncomingMessage, res: http.ServerResponse, file: string, body: Buffer, faults: Faults, extra: http.OutgoingHttpHeaders): void {
  let data = body;
  if (faults.corrupt?.has(file)) {
    data = Buffer.from(body);
    data[data.length >> 1] ^= 0xff;
  }
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let start = 0;
  const headers: http.OutgoingHttpHeaders = { ...extra, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
  let status = 200;
  if (m && !faults.ignoreRange) {
    start = Number(m[1]);
    if (start >= data.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${data.length}` });
      res.end();
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
  }
  const part = data.subarray(start);
  headers['Content-Length'] = String(part.length);
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const drop = faults.dropAfter?.get(file);
  const stall = faults.stallAfter?.get(file);
  if (drop !== undefined && drop < part.length) {
    faults.dropAfter!.delete(file);
    // Flush exactly `drop` bytes, then cut the connection as a flaky network would.
    res.write(part.subarray(0, drop), () => res.socket?.destroy());
    return;
  }
  if (stall !== undefined && stall < part.length) {
    faults.stallAfter!.delete(file);
    res.write(part.subarray(0, stall)); // and then nothing, until the client gives up
    return;
  }
  res.end(part);
}

export async function startFakeHub(repos: FakeRepo[], faults: Faults = {}): Promise<FakeHub> {
  const log: LoggedRequest[] = [];
  const byId = new Map(repos.map((r) => [r.id, r]));
  const blobs = new Map<string, { file: string; body: Buffer }>();
  for (const r of repos) for (const [f, b] of r.files) if (isLfs(f)) blobs.set(sha256(b), { file: f, body: b });

  const cdn = http.createServer((req, res) => {
    log.push({ server: 'cdn', method: req.method!, path: req.url!, range: req.headers.range, auth: req.headers.authorization });
    const m = /^\/cdn\/([0-9a-f]{64})(\?.*)?$/.exec(req.url!);
    const blob = m && blobs.get(m[1]);
    if (!blob) return error(res, 404, null, 'no such blob');
    serveBytes(req, res, blob.file, blob.body, faults, { ETag: `"${m[1]}"` });
  });
  const cdnPort = await listen(cdn);
  const cdnOrigin = `http://127.0.0.1:${cdnPort}`;

  const hub = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    log.push({ server: 'hub', method: req.method!, path: url.pathname, range: req.headers.range, auth: req.headers.authorization });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const id = api?.[1] ?? resolve?.[1];
    const repo = id ? byId.get(id) : undefined;
    if (!id || !repo) return error(res, 404, 'RepoNotFound', 'Repository not found');
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      return error(res, 401, 'GatedRepo', `Access to model ${id} is restricted. You must have access to it and be authenticated to access it.`);
    }
    const rev = decodeURIComponent((api ?? resolve)![2]);
    if (rev !== 'main' && rev !== repo.commit) return error(res, 404, 'RevisionNotFound', 'Invalid rev id');
    if (api) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id, sha: repo.commit, siblings: [...repo.files.keys(), 'pytorch_model.bin', 'flax_model.msgpack'].map((rfilename) => ({ rfilename })) }));
      return;
    }
    const file = decodeURIComponent(resolve![3]);
    const body = repo.files.get(file);
    if (!body) return error(res, 404, 'EntryNotFound', 'Entry not found');
    const common = { 'X-Repo-Commit': repo.commit };
    if (isLfs(file)) {
      const sha = sha256(body);
      res.writeHead(302, {
        ...common,
        Location: `${cdnOrigin}/cdn/${sha}?response-content-disposition=attachment`,
        ETag: `"${sha}"`,
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': String(faults.claimSize?.get(file) ?? body.length),
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    serveBytes(req, res, file, body, faults, { ...common, ETag: `"${gitSha1(body)}"` });
  });
  const hubPort = await listen(hub);
  const close = async () => {
    hub.closeAllConnections();
    cdn.closeAllConnections();
    await Promise.all([new Promise((r) => hub.close(r)), new Promise((r) => cdn.close(r))]);
  };
  return { endpoint: `http://127.0.0.1:${hubPort}`, cdnOrigin, log, faults, close };
}

/** A small but real-looking Whisper repo: config files and a safetensors with `weightBytes` of data. */
export function makeWhisperRepo(id: string, commitSeed: string, weightBytes = 256 * 1024, gatedToken?: string): FakeRepo {
  const floats = new Float32Array(weightBytes / 4);
  let s = 12345;
  for (let i = 0; i < floats.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    floats[i] = s / 2 ** 32 - 0.5;
  }
  const header = JSON.stringify({ __metadata__: { format: 'pt' }, 'model.decoder.layer_norm.weight': { dtype: 'F32', shape: [floats.length], data_offsets: [0, weightBytes] } });
  const padded = header.padEnd(Math.ceil(header.length / 8) * 8, ' ');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(padded.length));
  const weights = Buffer.concat([len, Buffer.from(padded), Buffer.from(floats.buffer)]);
  const json = (o: unknown) => Buffer.from(JSON.stringify(o, null, 2));
  const files = new Map<string, Buffer>([
    ['config.json', json({ model_type: 'whisper', d_model: 64, vocab_size: 51864 })],
    ['generation_config.json', json({ max_length: 448 })],
    ['preprocessor_config.json', json({ feature_size: 80 })],
    ['tokenizer.json', json({ version: '1.0' })],
    ['vocab.json', json({ '!': 0 })],
    ['merges.txt', Buffer.from('#version: 0.2\n')],
    ['model.safetensors', weights],
    ['README.md', Buffer.from('# not needed\n')],
  ]);
  const commit = createHash('sha1').update(commitSeed).digest('hex');
  return { id, commit, files, gatedToken };
}
