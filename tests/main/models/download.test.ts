import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { downloadModel, selectWhisperFiles, type DownloadProgress } from '../../../src-main/models/download.ts';
import { repoCacheDir } from '../../../src-main/models/hf-cache.ts';
import { gitSha1, makeWhisperRepo, sha256, startFakeHub, type FakeRepo, type Faults, type LoggedRequest } from './fake-hub.ts';

const REPO = 'acme/whisper-micro';
const NEEDED = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'vocab.json', 'merges.txt', 'model.safetensors'];

/** A fresh cache folder and fake Hub per test; env is explicit so the machine's HF_* never leak in. */
async function setup(repos: FakeRepo[] = [makeWhisperRepo(REPO, 'c1')], faults: Faults = {}) {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'vt-hf-'));
  const hub = await startFakeHub(repos, faults);
  const opts = { cacheDir, endpoint: hub.endpoint, env: {} as NodeJS.ProcessEnv, backoffMs: 5, retries: 2 };
  const done = async () => {
    await hub.close();
    rmSync(cacheDir, { recursive: true, force: true });
  };
  return { cacheDir, hub, opts, done, repo: repos[0] };
}

function weightsGets(log: LoggedRequest[]) {
  return log.filter((r) => r.server === 'cdn' && r.method === 'GET');
}

test('selectWhisperFiles takes configs and safetensors, never .bin / .msgpack', () => {
  const got = selectWhisperFiles('x/y', ['config.json', 'vocab.json', 'model.safetensors', 'pytorch_model.bin', 'flax_model.msgpack', 'README.md']);
  assert.deepEqual(got, ['config.json', 'vocab.json', 'model.safetensors']);
  const sharded = selectWhisperFiles('x/y', ['config.json', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors']);
  assert.deepEqual(sharded, ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  assert.throws(() => selectWhisperFiles('x/y', ['config.json', 'pytorch_model.bin']), { code: 'MODEL_NO_SAFETENSORS' });
});

test('a full download lands in the HF cache layout, byte-identical, with relative symlinks', async () => {
  const { cacheDir, hub, opts, done, repo } = await setup();
  try {
    const events: DownloadProgress[] = [];
    const r = await downloadModel(REPO, { ...opts, onProgress: (p) => events.push(p) });
    const dir = repoCacheDir(REPO, cacheDir);
    assert.equal(path.basename(dir), 'models--acme--whisper-micro');
    assert.equal(r.commit, repo.commit);
    assert.equal(r.snapshotDir, path.join(dir, 'snapshots', repo.commit));
    assert.deepEqual([...r.files].sort(), [...NEEDED].sort());
    assert.equal(readFileSync(path.join(dir, 'refs', 'main'), 'utf8'), repo.commit); // no newline, as Python writes it
    for (const f of NEEDED) {
      const body = repo.files.get(f)!;
      const link = path.join(r.snapshotDir, f);
      assert.ok(lstatSync(link).isSymbolicLink(), `${f} is a symlink`);
      const etag = f.endsWith('.safetensors') ? sha256(body) : gitSha1(body);
      assert.equal(readlinkSync(link), `../../blobs/${etag}`);
      assert.ok(readFileSync(link).equals(body), `${f} is byte-identical`);
    }
    assert.ok(!existsSync(path.join(r.snapshotDir, 'README.md')), 'files a model does not need are skipped');
    assert.deepEqual(readdirSync(path.join(dir, 'blobs')).filter((b) => b.endsWith('.incomplete')), []);
    assert.equal(r.downloadedBytes, NEEDED.reduce((n, f) => n + repo.files.get(f)!.length, 0));
    const last = events.at(-1)!;
    assert.equal(last.done, true);
    assert.equal(last.overallBytes, last.overallTotal);
    // The Hub's CDN redirect was followed, and .bin weights were never asked for.
    assert.equal(weightsGets(hub.log).length, 1);
    assert.ok(!hub.log.some((l) => l.path.endsWith('.bin')));
  } finally {
    await done();
  }
});

test('a connection dropped mid-file resumes with Range from where it stopped', async () => {
  const N = 100_000;
  const { hub, opts, done, repo } = await setup(undefined, { dropAfter: new Map([['model.safetensors', N]]) });
  try {
    const r = await downloadModel(REPO, opts);
    const gets = weightsGets(hub.log);
    assert.equal(gets.length, 2);
    assert.equal(gets[0].range, undefined);
    assert.equal(gets[1].range, `bytes=${N}-`);
    assert.ok(readFileSync(path.join(r.snapshotDir, 'model.safetensors')).equals(repo.files.get('model.safetensors')!));
  } finally {
    await done();
  }
});

test('a server that ignores Range (200 instead of 206) makes the file start over, still correct', async () => {
  const { hub, opts, done, repo } = await setup(undefined, { dropAfter: new Map([['model.safetensors', 50_000]]), ignoreRange: true });
  try {
    const r = await downloadModel(REPO, opts);
    assert.equal(weightsGets(hub.log).length, 2);
    assert.ok(readFileSync(path.join(r.snapshotDir, 'model.safetensors')).equals(repo.files.get('model.safetensors')!));
  } finally {
    await done();
  }
});

test('a stalled transfer is detected by the inactivity timeout and resumed', async () => {
  const N = 70_000;
  const { hub, opts, done, repo } = await setup(undefined, { stallAfter: new Map([['model.safetensors', N]]) });
  try {
    const r = await downloadModel(REPO, { ...opts, stallMs: 300 });
    const gets = weightsGets(hub.log);
    assert.equal(gets.at(-1)!.range, `bytes=${N}-`);
    assert.ok(readFileSync(path.join(r.snapshotDir, 'model.safetensors')).equals(repo.files.get('model.safetensors')!));
  } finally {
    await done();
  }
});

test('cancelling keeps the partial file; the next run resumes it', async () => {
  const N = 60_000;
  const { cacheDir, hub, opts, done, repo } = await setup(undefined, { stallAfter: new Map([['model.safetensors', N]]) });
  try {
    const ac = new AbortController();
    const run = downloadModel(REPO, {
      ...opts,
      signal: ac.signal,
      onProgress: (p) => p.file === 'model.safetensors' && p.bytes >= N && ac.abort(),
    });
    // The progress callback is throttled; abort anyway once the stall has begun.
    const timer = setTimeout(() => ac.abort(), 1500);
    await assert.rejects(run, { code: 'DOWNLOAD_CANCELLED' });
    clearTimeout(timer);
    const blobs = path.join(repoCacheDir(REPO, cacheDir), 'blobs');
    const partial = readdirSync(blobs).find((b) => b.endsWith('.incomplete'));
    assert.ok(partial, 'partial file kept');
    assert.ok(!existsSync(path.join(repoCacheDir(REPO, cacheDir), 'snapshots', repo.commit, 'model.safetensors')));
    const r = await downloadModel(REPO, opts);
    assert.equal(weightsGets(hub.log).at(-1)!.range, `bytes=${N}-`);
    assert.ok(readFileSync(path.join(r.snapshotDir, 'model.safetensors')).equals(repo.files.get('model.safetensors')!));
  } finally {
    await done();
  }
});

test('a checksum mismatch is rejected and the bad blob never becomes visible', async () => {
  const { cacheDir, opts, done, repo } = await setup(undefined, { corrupt: new Set(['model.safetensors']) });
  try {
    await assert.rejects(downloadModel(REPO, opts), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'DOWNLOAD_CHECKSUM_MISMATCH');
      assert.match(e.message, /sha256 .* Hub says [0-9a-f]{64}.*run the download again/);
      return true;
    });
    const dir = repoCacheDir(REPO, cacheDir);
    const snap = path.join(dir, 'snapshots', repo.commit);
    assert.ok(!existsSync(path.join(snap, 'model.safetensors')), 'no weights in the snapshot');
    const blobs = readdirSync(path.join(dir, 'blobs'));
    assert.ok(!blobs.includes(sha256(repo.files.get('model.safetensors')!)), 'no blob under the good name');
    assert.ok(!blobs.some((b) => b.endsWith('.incomplete')), 'the corrupt partial is deleted');
    assert.ok(!existsSync(path.join(dir, 'refs', 'main')), 'refs/main is written only after success');
  } finally {
    await done();
  }
});

test('a gated repo without a token gives 401 with a clear message; with the token it downloads', async () => {
  const gated = makeWhisperRepo('acme/gated-whisper', 'g1', 4096, 'hf_secret');
  const { hub, opts, done } = await setup([gated]);
  try {
    await assert.rejects(downloadModel(gated.id, opts), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'HUB_AUTH_REQUIRED');
      assert.match(e.message, /acme\/gated-whisper/);
      assert.match(e.message, /HF_TOKEN/);
      return true;
    });
    const r = await downloadModel(gated.id, { ...opts, env: { HF_TOKEN: 'hf_secret' } });
    assert.equal(r.files.length, NEEDED.length);
    // The token went to the Hub, never to the CDN on another origin.
    assert.ok(hub.log.some((l) => l.server === 'hub' && l.auth === 'Bearer hf_secret'));
    assert.ok(hub.log.filter((l) => l.server === 'cdn').every((l) => l.auth === undefined));
  } finally {
    await done();
  }
});

test('an unknown repo gives 404 RepoNotFound with a clear message', async () => {
  const { opts, done } = await setup();
  try {
    await assert.rejects(downloadModel('acme/no-such-model', opts), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'HUB_REPO_NOT_FOUND');
      assert.match(e.message, /acme\/no-such-model@main: the repository does not exist/);
      return true;
    });
    await assert.rejects(downloadModel(REPO, { ...opts, revision: 'v9' }), { code: 'HUB_REVISION_NOT_FOUND' });
  } finally {
    await done();
  }
});

test('a model already in the cache is not downloaded again', async () => {
  const { hub, opts, done } = await setup();
  try {
    await downloadModel(REPO, opts);
    const before = hub.log.length;
    const r = await downloadModel(REPO, opts);
    assert.equal(r.fromCache, true);
    assert.equal(r.downloadedBytes, 0);
    const after = hub.log.slice(before);
    assert.deepEqual(after.map((l) => l.path), [`/api/models/${REPO}/revision/main`], 'only the revision lookup');
  } finally {
    await done();
  }
});

test('a new commit reuses blobs already on disk and fetches only what changed', async () => {
  const v1 = makeWhisperRepo(REPO, 'c1');
  const { hub, opts, done } = await setup([v1]);
  try {
    await downloadModel(REPO, opts);
    // The repo moves on: same weights, new config. A second fake Hub serves the new commit.
    await hub.close();
    const v2: FakeRepo = { ...v1, commit: 'b'.repeat(40), files: new Map(v1.files).set('config.json', Buffer.from('{"model_type":"whisper","d_model":64}')) };
    const hub2 = await startFakeHub([v2]);
    try {
      const r = await downloadModel(REPO, { ...opts, endpoint: hub2.endpoint });
      assert.equal(r.commit, v2.commit);
      assert.deepEqual(weightsGets(hub2.log), [], 'weights blob reused, not fetched');
      assert.equal(r.downloadedBytes, v2.files.get('config.json')!.length);
      assert.ok(readFileSync(path.join(r.snapshotDir, 'config.json')).equals(v2.files.get('config.json')!));
    } finally {
      await hub2.close();
    }
  } finally {
    await done();
  }
});

test('not enough disk space fails before any byte is fetched', async () => {
  const { hub, opts, done } = await setup(undefined, { claimSize: new Map([['model.safetensors', 5e15]]) });
  try {
    await assert.rejects(downloadModel(REPO, opts), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'DISK_SPACE_LOW');
      assert.match(e.message, /needs 5\.0 PB .* HF_HOME/);
      return true;
    });
    assert.deepEqual(weightsGets(hub.log), []);
    assert.ok(!hub.log.some((l) => l.method === 'GET' && l.path.includes('/resolve/')));
  } finally {
    await done();
  }
});

test('offline: an unreachable Hub falls back to the cached snapshot', async () => {
  const { hub, opts, done } = await setup();
  try {
    const first = await downloadModel(REPO, opts);
    await hub.close();
    const r = await downloadModel(REPO, { ...opts, retries: 0 });
    assert.equal(r.offline, true);
    assert.equal(r.snapshotDir, first.snapshotDir);
    const off = await downloadModel(REPO, { ...opts, env: { HF_HUB_OFFLINE: '1' } });
    assert.equal(off.snapshotDir, first.snapshotDir);
  } finally {
    await done();
  }
});

test('a sharded checkpoint (index + shards) is fetched whole, each shard verified', async () => {
  const base = makeWhisperRepo('acme/whisper-sharded', 's1', 64 * 1024);
  const files = new Map(base.files);
  const weights = files.get('model.safetensors')!;
  files.delete('model.safetensors');
  const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  files.set(shards[0], weights.subarray(0, 40_000));
  files.set(shards[1], weights.subarray(40_000));
  files.set('model.safetensors.index.json', Buffer.from(JSON.stringify({ weight_map: { a: shards[0], b: shards[1] } })));
  const repo: FakeRepo = { ...base, files };
  const { hub, opts, done } = await setup([repo], { dropAfter: new Map([[shards[1], 10_000]]) });
  try {
    const r = await downloadModel(repo.id, opts);
    assert.deepEqual(r.files.filter((f) => f.includes('safetensors')), ['model.safetensors.index.json', ...shards]);
    for (const f of [...shards, 'model.safetensors.index.json']) assert.ok(readFileSync(path.join(r.snapshotDir, f)).equals(files.get(f)!), f);
    assert.equal(weightsGets(hub.log).length, 3, 'two shards, one resumed');
  } finally {
    await done();
  }
});
