import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../../../src-main/store/db.ts';
import { addPrompts } from '../../../src-main/store/prompts.ts';
import { coverage, generateScript, pluralOf, possessiveOf, soundAlikes } from '../../../src-main/store/script.ts';
import { addTerm, listTerms, termMatcher } from '../../../src-main/store/terms.ts';

const terms = [
  { id: 1, text: 'CUDA', soundsLike: ['cooler'] },
  { id: 2, text: 'PyTorch', soundsLike: [] },
  { id: 3, text: 'kubelet', soundsLike: [] },
];

test('each term gets sentences with the exact spelling at start, middle and end, plus forms where sensible', () => {
  const lines = generateScript(terms, { perTerm: 6 });
  for (const t of terms) {
    const mine = lines.filter((l) => l.termId === t.id && l.kind === 'term');
    assert.equal(mine.length, 6);
    assert.equal(new Set(mine.map((l) => l.text)).size, 6, 'no sentence twice');
    for (const l of mine.filter((l) => ['start', 'middle', 'end'].includes(l.position))) assert.ok(l.text.includes(t.text), l.text);
    assert.ok(mine.some((l) => l.position === 'start' && l.text.startsWith(t.text)), `${t.text} at the start, not re-capitalised`);
    assert.ok(mine.some((l) => l.position === 'end' && new RegExp(`${t.text}\\.$`).test(l.text)));
    assert.ok(mine.some((l) => l.position === 'middle' && !l.text.startsWith(t.text) && !l.text.endsWith(`${t.text}.`)));
  }
  assert.ok(lines.some((l) => l.text.includes('kubelets')), 'a plural for a common noun');
  assert.ok(!lines.some((l) => /CUDAs|PyTorchs/.test(l.text)), 'no plural of a name or acronym');
  assert.ok(lines.some((l) => l.text.includes("CUDA's")));
  assert.deepEqual(generateScript(terms, { seed: 3 }), generateScript(terms, { seed: 3 }));
  assert.notDeepEqual(generateScript(terms, { seed: 3 }), generateScript(terms, { seed: 4 }));
});

test('confusable negatives use sound-alikes and never contain the term', () => {
  assert.deepEqual(soundAlikes(terms[0]), ['cooler', 'see you dee ay']);
  assert.deepEqual(soundAlikes(terms[1]), ['pie torch']);
  assert.deepEqual(soundAlikes({ text: 'CUDA', soundsLike: ['Cuda', 'cuda'] }), ['see you dee ay'], 'a case variant is the same word, not a negative');
  const neg = generateScript(terms, { negativesPerTerm: 2 }).filter((l) => l.kind === 'negative');
  assert.ok(neg.some((l) => l.termId === 1 && l.text.includes('cooler')));
  assert.ok(neg.some((l) => l.termId === 2 && l.text.includes('pie torch')));
  const match = termMatcher(terms);
  for (const l of neg) assert.deepEqual(match(l.text), [], l.text);
});

test('plural and possessive rules', () => {
  assert.equal(pluralOf('kubelet'), 'kubelets');
  assert.equal(pluralOf('proxy'), 'proxies');
  assert.equal(pluralOf('Kubernetes'), null);
  assert.equal(possessiveOf('Kubernetes'), "Kubernetes'");
  assert.equal(possessiveOf('C++'), null);
  assert.equal(possessiveOf('Node.js'), null);
});

test('term matching is exact-case and whole-word', () => {
  const m = termMatcher([{ text: 'CUDA' }, { text: 'C++' }]);
  assert.deepEqual(m("CUDA's kernels and C++ code").map((t) => t.text).sort(), ['C++', 'CUDA']);
  assert.deepEqual(m('cuda, CUDAfy, barracuda'), []);
});

test('coverage counts clips per term from prompts and transcripts, not negatives', () => {
  const db = openDb(':memory:');
  db.prepare("INSERT INTO projects (name, created_at) VALUES ('p', 'x')").run();
  const cuda = addTerm(db, 1, { text: 'CUDA', soundsLike: ['cooler'], wantedClips: 3 });
  addTerm(db, 1, { text: 'PyTorch' });
  addPrompts(db, 1, generateScript(listTerms(db, 1), { perTerm: 3 }));
  const [tp, np] = ['term', 'negative'].map((k) => (db.prepare('SELECT id FROM prompts WHERE term_id = ? AND kind = ?').get(cuda.id, k) as { id: number }).id);
  const rec = db.prepare("INSERT INTO recordings (project_id, prompt_id, file, sha256, duration_s, sample_rate, n_samples, source, created_at) VALUES (1, ?, 'f', ?, 1, 16000, 1, 'recorded', 'x')");
  const tr = db.prepare("INSERT INTO transcripts (recording_id, text, source, updated_at) VALUES (?, ?, 'typed', 'x')");
  tr.run(rec.run(tp, 'a'.repeat(64)).lastInsertRowid, 'CUDA made it easy.');
  tr.run(rec.run(np, 'b'.repeat(64)).lastInsertRowid, 'the cooler hums');
  tr.run(rec.run(null, 'c'.repeat(64)).lastInsertRowid, 'I moved from PyTorch to CUDA kernels.');
  const c = coverage(db, 1);
  assert.deepEqual(c.map((x) => [x.text, x.prompts, x.recorded, x.wanted]), [['CUDA', 3, 2, 3], ['PyTorch', 3, 1, 8]]);
  assert.ok(c[0].negatives >= 1);
});
