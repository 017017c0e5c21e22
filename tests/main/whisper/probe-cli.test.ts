/** The exact probe command reproduces the golden teacher-forced log-probs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { JFK_TEXT, JFK_WAV, MICRO_F32, MICRO_F16, NEEDS_REFERENCE, REPO_ROOT, maxDiff, readGolden } from '../../helpers/reference.ts';

for (const [model, dir] of [['whisper-micro-en', MICRO_F32], ['whisper-micro-en-f16', MICRO_F16]] as const) {
  test(`vocab-tuner probe --json on ${model} reproduces the golden log-probs`, { skip: NEEDS_REFERENCE, timeout: 5 * 60_000 }, () => {
    const out = execFileSync(process.execPath, [join(REPO_ROOT, 'bin/vocab-tuner.mjs'), 'probe', '--model', dir, '--audio', JFK_WAV, '--text', JFK_TEXT, '--json', '--term', 'Americans', '--top-k', '3'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const r = JSON.parse(out);
    const g = readGolden(model);
    assert.deepEqual(r.prefix, [50257, 50362]);
    assert.deepEqual(r.tokens.map((t: { id: number }) => t.id), g.loss.labels.slice(1));
    assert.equal(r.tokens.at(-1).text, '<|endoftext|>');
    const d = maxDiff(r.tokens.map((t: { logprob: number }) => t.logprob), g.teacher_forced_logprob_of_next_token.slice(1));
    console.log(`${model}: ${r.tokens.length} tokens, max |Δ log-prob| ${d.diff.toExponential(2)}, total ${r.total_logprob.toFixed(3)}`);
    assert.ok(d.diff <= 2e-3);
    for (const t of r.tokens) {
      assert.equal(t.top.length, 3);
      assert.ok(t.top[0].logprob >= t.logprob - 1e-6, 'the top competitor is at least as likely as the label');
    }
    assert.equal(r.terms.length, 1);
    assert.equal(r.terms[0].tokens.join(''), ' Americans');
  });
}
