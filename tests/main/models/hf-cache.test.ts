import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import {
  findSnapshot,
  hubCacheDir,
  linkSnapshotFile,
  listCachedModels,
  readRef,
  removeCachedModel,
  repoFolderName,
  repoIdFromFolder,
  validateRepoId,
  writeRef,
} from '../../../src-main/models/hf-cache.ts';
import { importLocalModel, localRepoName } from '../../../src-main/models/import-local.ts';
import { resolveModelDir } from '../../../src-main/models/model-ref.ts';
import { modelCatalog } from '../../../src-main/models/catalog.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../../../../shared/reference/models/whisper-micro-en');

test('hubCacheDir follows huggingface_hub: HF_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME, ~/.cache', () => {
  assert.equal(hubCacheDir({ HF_HUB_CACHE: '/a/hub', HF_HOME: '/b' }), '/a/hub');
  assert.equal(hubCacheDir({ HUGGINGFACE_HUB_CACHE: '/legacy' }), '/legacy');
  assert.equal(hubCacheDir({ HF_HOME: '/b' }), '/b/hub');
  assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/huggingface/hub');
  assert.equal(hubCacheDir({}), path.join(homedir(), '.cache/huggingface/hub'));
  assert.equal(hubCacheDir({ HF_HOME: '~/hf' }), path.join(homedir(), 'hf/hub'));
});

test('repo folder names round-trip and bad ids are refused with a clear message', () => {
  assert.equal(repoFolderName('openai/whisper-large-v3-turbo'), 'models--openai--whisper-large-v3-turbo');
  assert.equal(repoIdFromFolder('models--openai--whisper-tiny.en'), 'openai/whisper-tiny.en');
  assert.equal(repoIdFromFolder('datasets--x--y'), null);
  for (const bad of ['a/b/c', '../etc', 'a--b/c', 'a/', 'has space/x', '']) {
    assert.throws(() => validateRepoId(bad), { code: 'MODEL_ID_INVALID' }, bad);
  }
});

test('refs, relative snapshot links, listing and removal on a cache laid out by hand', async () => {
  const cache = mkdtempSync(path.join(tmpdir(), 'vt-cache-'));
  try {
    const repo = 'openai/whisper-tiny';
    const commit = 'a'.repeat(40);
    const dir = path.join(cache, 'models--openai--whisper-tiny');
    mkdirSync(path.join(dir, 'blobs'), { recursive: true });
    writeFileSync(path.join(dir, 'blobs', 'cfg'), '{"model_type":"whisper"}');
    writeFileSync(path.join(dir, 'blobs', 'w'), 'weights');
    writeFileSync(path.join(dir, 'blobs', 'x.incomplete'), 'partial');
    assert.equal(findSnapshot(repo, { cacheDir: cache }), null, 'no ref yet');
    await linkSnapshotFile(repo, commit, 'config.json', 'cfg', cache);
    await linkSnapshotFile(repo, commit, 'model.safetensors', 'w', cache);
    await linkSnapshotFile(repo, commit, 'sub/dir/file.json', 'cfg', cache);
    assert.equal(readlinkSync(path.join(dir, 'snapshots', commit, 'sub/dir/file.json')), '../../../../blobs/cfg');
    await writeRef(repo, 'main', commit, cache);
    assert.equal(readFileSync(path.join(dir, 'refs/main'), 'utf8'), commit);
    assert.equal(readRef(repo, 'main', cache), commit);
    assert.equal(readRef(repo, commit, cache), commit, 'a commit hash names itself');
    assert.equal(findSnapshot(repo, { cacheDir: cache, files: ['config.json', 'model.safetensors'] }), path.join(dir, 'snapshots', commit));
    assert.equal(findSnapshot(repo, { cacheDir: cache, files: ['tokenizer.json'] }), null, 'missing file → not cached');

    const [m] = listCachedModels(cache);
    assert.equal(m.repo, repo);
    assert.deepEqual(m.refs, { main: commit });
    assert.equal(m.usable, true);
    assert.equal(m.sizeOnDisk, '{"model_type":"whisper"}'.length + 'weights'.length, 'partial downloads and symlinks are not counted');

    const cat = modelCatalog(cache);
    const tiny = cat.known.find((k) => k.repo === repo)!;
    assert.equal(tiny.cached, true);
    assert.equal(tiny.snapshotDir, path.join(dir, 'snapshots', commit));
    assert.equal(cat.known.filter((k) => k.cached).length, 1);
    assert.deepEqual(cat.others, []);

    // A dangling link (blob deleted by hand) means the file is not there.
    rmSync(path.join(dir, 'blobs', 'w'));
    assert.equal(findSnapshot(repo, { cacheDir: cache, files: ['model.safetensors'] }), null);
    assert.equal(listCachedModels(cache)[0].usable, false);

    // Freed bytes include the partial download.
    assert.deepEqual(await removeCachedModel(repo, cache), { removed: true, bytes: '{"model_type":"whisper"}'.length + 'partial'.length });
    assert.ok(!existsSync(dir));
    assert.deepEqual(await removeCachedModel(repo, cache), { removed: false, bytes: 0 });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('importing a local HF folder validates it and registers it as local/<name>', { skip: !existsSync(FIXTURE) && 'needs ../shared/reference (not in a fresh clone)' }, async () => {
  const cache = mkdtempSync(path.join(tmpdir(), 'vt-import-'));
  try {
    assert.equal(localRepoName('/x/My Tune (v2)'), 'local/My-Tune-v2');
    const r = await importLocalModel(FIXTURE, { name: 'micro', cacheDir: cache });
    assert.equal(r.repo, 'local/micro');
    assert.equal(r.alreadyImported, false);
    for (const f of r.files) assert.ok(readFileSync(path.join(r.snapshotDir, f)).equals(readFileSync(path.join(FIXTURE, f))), f);
    assert.equal(resolveModelDir('local/micro', { cacheDir: cache }), r.snapshotDir);
    const again = await importLocalModel(FIXTURE, { name: 'micro', cacheDir: cache });
    assert.equal(again.commit, r.commit, 'same contents → same snapshot');
    assert.equal(again.alreadyImported, true);

    // A folder the checkpoint loader rejects is not imported.
    const broken = path.join(cache, 'broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'config.json'), '{"model_type":"whisper"}');
    // No weights at all: refused when the files are listed, before anything is opened.
    await assert.rejects(importLocalModel(broken, { cacheDir: cache }), { code: 'MODEL_NO_SAFETENSORS' });
    // Weights the checkpoint loader cannot read: refused by the loader.
    writeFileSync(path.join(broken, 'model.safetensors'), Buffer.from('this is not a safetensors file'));
    await assert.rejects(importLocalModel(broken, { cacheDir: cache }), { code: 'CHECKPOINT_INVALID' });
    assert.ok(!existsSync(path.join(cache, 'models--local--broken')));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
