import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { audioRelPath, resolveDataDir } from '../../../src-main/store/paths.ts';

test('data dir: --data-dir, then VOCAB_TUNER_DATA_DIR, then Electron userData, then the platform folder', () => {
  const env = { VOCAB_TUNER_DATA_DIR: '/env/dir' };
  assert.equal(resolveDataDir({ flag: 'rel/x', env }), path.resolve('rel/x'));
  assert.equal(resolveDataDir({ env, electronUserData: '/electron' }), '/env/dir');
  assert.equal(resolveDataDir({ env: {}, electronUserData: '/electron' }), '/electron');
  assert.equal(resolveDataDir({ env: {}, platform: 'linux', home: '/h' }), '/h/.local/share/vocab-tuner');
  assert.equal(resolveDataDir({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux', home: '/h' }), '/xdg/vocab-tuner');
  assert.equal(resolveDataDir({ env: {}, platform: 'darwin', home: '/Users/a' }), '/Users/a/Library/Application Support/vocab-tuner');
  assert.equal(resolveDataDir({ env: { APPDATA: 'C:/Users/a/AppData/Roaming' }, platform: 'win32', home: '/h' }), path.join('C:/Users/a/AppData/Roaming', 'vocab-tuner'));
});

test('clip files are named by checksum under a two-character prefix folder', () => {
  const sha = 'ab' + 'c'.repeat(62);
  assert.equal(audioRelPath(sha), `audio/ab/${sha}.wav`);
});
