/**
 * Trainer events → the job progress the app shows (jobs/tune-job.ts progressOf): a stage before
 * training moves the bar with its own count and ETA and names itself; the final event carries the
 * stage breakdown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressOf } from '../../../src-main/jobs/tune-job.ts';

test('the encoding stage shows its own progress, name and ETA; done shows the time by stage', () => {
  const p = progressOf({ type: 'prepare', stage: 'encoding clips', done: 12, total: 48, etaSec: 30 });
  assert.deepEqual(p, { done: 12, total: 48, message: 'encoding clips 12/48', etaSec: 30 });
  const start = progressOf({ type: 'prepare', stage: 'encoding clips', done: 0, total: 0 });
  assert.equal(start!.total, 1, 'an empty stage never divides by zero');
  const done = progressOf({ type: 'done', status: 'completed', steps: 20, best: { step: 20, score: 1 }, runDir: '/r', stages: { load: 2, features: 60, steps: 100, validation: 30, export: 8 } });
  assert.match(done!.message!, /features 60\.0 s \(30%\)/);
  assert.match(done!.message!, /total 200\.0 s/);
});
