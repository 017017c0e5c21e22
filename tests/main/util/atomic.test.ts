import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempSibling, writeFileAtomic, writeJsonAtomic } from '../../../src-main/util/atomic.ts';

test('writeFileAtomic creates the folder, replaces the file and leaves no temporary behind', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vt-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub', 'a.json');
  writeJsonAtomic(file, { n: 1 });
  writeFileAtomic(file, 'second', { fsync: true });
  assert.equal(readFileSync(file, 'utf8'), 'second');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.json']);
});

test('a failed rename removes the temporary file and keeps what was there', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vt-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'taken');
  mkdirSync(join(target, 'inner'), { recursive: true }); // a non-empty folder cannot be renamed over
  assert.throws(() => writeFileAtomic(target, 'x'));
  assert.deepEqual(readdirSync(dir), ['taken']);
  assert.deepEqual(readdirSync(target), ['inner']);
});

test('tempSibling names are hidden siblings, unique per call', () => {
  const a = tempSibling('/x/y/run.json');
  const b = tempSibling('/x/y/run.json');
  assert.notEqual(a, b);
  assert.match(a, /^\/x\/y\/\.run\.json\.\d+\.\d+\.\d+\.tmp$/);
});
