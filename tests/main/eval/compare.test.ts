// runComparison end to end with deterministic, real functions in place of the model: the
// "transcriber" below returns hypotheses from a prepared table (TEST DATA, written by hand to
// exercise each code path) and the "probe" returns log-probs computed from the adapter scale.
// Every expected number is worked out in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runComparison, termProbesFromProbeResult, type DecodeSettings } from '../../../src-main/eval/compare.ts';
import { readEvalSet, readTermsFile, type EvalClip } from '../../../src-main/eval/eval-set.ts';
import { forgettingGuard, scoreRun } from '../../../src-main/eval/grid.ts';
import type { TermProbe } from '../../../src-main/eval/types.ts';

/** A 0.1 s silent 16 kHz mono PCM16 WAV: the clips only have to exist for this test. */
function silentWav(): Uint8Array {
  const n = 1600;
  const b = Buffer.alloc(44 + 2 * n);
  b.write('RIFF', 0); b.writeUInt32LE(36 + 2 * n, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(16000, 24);
  b.writeUInt32LE(32000, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(2 * n, 40);
  return b;
}

function makeDataset(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-compare-'));
  mkdirSync(path.join(dir, 'clips'));
  const rows = [
    ['clips/t1.wav', 'I trained it with PyTorch.', 'test'],
    ['clips/t2.wav', 'CUDA makes it fast.', 'test'],
    ['clips/g1.wav', 'The weather is cooler today.', 'general'],
    ['clips/g2.wav', 'Please pass the salt, "thanks".', 'general'],
    ['clips/tr.wav', 'PyTorch again.', 'train'],
  ];
  for (const [f] of rows) writeFileSync(path.join(dir, f), silentWav());
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(path.join(dir, 'metadata.csv'), ['file_name,transcription,split', ...rows.map((r) => r.map(q).join(','))].join('\r\n') + '\r\n');
  writeFileSync(path.join(dir, 'terms.txt'), '# my vocabulary\nPyTorch\n\nCUDA\nPyTorch\n');
  return dir;
}

// TEST DATA: hypotheses per configuration ("base", "base+p", "s<scale>", "s1+p") and clip.
const HYPS: Record<string, Record<string, string>> = {
  base: { t1: 'I trained it with pie torch.', t2: 'Cooler makes it fast.', g1: 'The weather is cooler today.', g2: 'Please pass the salt, thanks.' },
  'base+p': { t1: 'I trained it with Pytorch.', t2: 'Cooler makes it fast.', g1: 'The weather is cooler today.', g2: 'Please pass the salt, thanks.' },
  's0.25': { t1: 'I trained it with pie torch.', t2: 'Cooler makes it fast.', g1: 'The weather is cooler today.', g2: 'Please pass the salt, thanks.' },
  's0.5': { t1: 'I trained it with PyTorch.', t2: 'Cooler makes it fast.', g1: 'The weather is cooler today.', g2: 'Please pass the salt, thanks.' },
  's0.75': { t1: 'I trained it with PyTorch.', t2: 'CUDA makes it fast.', g1: 'The weather is cooler today.', g2: 'Please pass the salt, thanks.' },
  s1: { t1: 'I trained it with PyTorch.', t2: 'CUDA makes it fast.', g1: 'The weather is CUDA today.', g2: 'Please pass the salt, thanks.' },
  's1+p': { t1: 'I trained it with PyTorch.', t2: 'CUDA makes it fast.', g1: 'The weather is CUDA today.', g2: 'Please pass the salt, thanks.' },
};
const key = (s: DecodeSettings) => (s.adapter ? `s${s.adapterScale}` : 'base') + (s.prompt ? '+p' : '');
const clipKey = (c: EvalClip) => path.basename(c.id, '.wav');

// A deterministic probe: " Py" gets log-prob -3 + 2·scale (+0.5 with a prompt); other tokens fixed.
async function probe(clip: EvalClip, s: DecodeSettings, terms: string[]): Promise<TermProbe[]> {
  const lp = -3 + 2 * (s.adapter ? s.adapterScale : 0) + (s.prompt ? 0.5 : 0);
  return terms.map((term) => term === 'PyTorch'
    ? { term, tokens: [{ id: 9485, text: ' Py', logprob: lp }, { id: 15884, text: 'Tor', logprob: -0.2 }, { id: 354, text: 'ch', logprob: -0.1 }], firstTokenTop: [{ id: 2508, text: ' pie', logprob: -1 }, { id: 9485, text: ' Py', logprob: lp }] }
    : { term, tokens: [{ id: 40000, text: 'CUDA', logprob: lp }], firstTokenTop: [{ id: 40001, text: 'Cooler', logprob: -0.5 }] });
}

const lower = (s: string) => s.toLowerCase().replace(/[.,"]/g, '').replace(/\s+/g, ' ').trim();

test('readEvalSet: CSV with quotes, split rules, terms file', () => {
  const dir = makeDataset();
  try {
    const set = readEvalSet(dir);
    assert.deepEqual(set.clips.map((c) => [c.id, c.set]), [['clips/t1.wav', 'heldout'], ['clips/t2.wav', 'heldout'], ['clips/g1.wav', 'general'], ['clips/g2.wav', 'general']]);
    assert.equal(set.clips[3].reference, 'Please pass the salt, "thanks".');
    assert.deepEqual(set.notes, ['1 clip(s) in split "train" were not scored (not a held-out split).']);
    assert.deepEqual(readTermsFile(path.join(dir, 'terms.txt')), ['PyTorch', 'CUDA']);
    writeFileSync(path.join(dir, 'metadata.csv'), 'file_name,transcription,split\nclips/missing.wav,hi,test\n');
    assert.throws(() => readEvalSet(dir), (e: { code?: string }) => e.code === 'DATASET_INVALID');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readEvalSet: the store export layout (split folders, guard clips in test/ with subset=general)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-export-'));
  try {
    const files: Record<string, string[][]> = {
      train: [['clip-000001.wav', 'PyTorch is great.', 'vocabulary', 'PyTorch'], ['clip-000002.wav', 'Nice day.', 'general', '']],
      validation: [['clip-000003.wav', 'CUDA again.', 'vocabulary', 'CUDA']],
      test: [['clip-000004.wav', 'I like PyTorch.', 'vocabulary', 'PyTorch'], ['clip-000005.wav', 'Pass the salt.', 'general', '']],
    };
    for (const [split, rows] of Object.entries(files)) {
      mkdirSync(path.join(dir, split));
      for (const [f] of rows) writeFileSync(path.join(dir, split, f), silentWav());
      writeFileSync(path.join(dir, split, 'metadata.csv'), ['file_name,transcription,subset,terms', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    }
    const set = readEvalSet(dir);
    assert.deepEqual(set.clips.map((c) => [c.id, c.set, c.split]), [['test/clip-000004.wav', 'heldout', 'test'], ['test/clip-000005.wav', 'general', 'test']]);
    assert.deepEqual(set.notes, ['2 clip(s) in split "train" were not scored (not a held-out split).', '1 clip(s) in split "validation" were not scored (not a held-out split).']);
    // without term clips in test/, validation becomes the held-out set
    rmSync(path.join(dir, 'test', 'clip-000004.wav'));
    writeFileSync(path.join(dir, 'test', 'metadata.csv'), 'file_name,transcription,subset,terms\nclip-000005.wav,Pass the salt.,general,\n');
    const v = readEvalSet(dir);
    assert.deepEqual(v.clips.map((c) => [c.id, c.set]), [['test/clip-000005.wav', 'general'], ['validation/clip-000003.wav', 'heldout']]);
    assert.equal(v.notes[0], 'No held-out term clips in test: the validation clips were used as the held-out set.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runComparison: grid, scorecard, forgetting guard and trade-off curve', async () => {
  const dir = makeDataset();
  try {
    const calls: string[] = [];
    const progress: number[] = [];
    const report = await runComparison({
      evalSet: readEvalSet(dir),
      terms: readTermsFile(path.join(dir, 'terms.txt')),
      model: '/models/whisper-tiny.en',
      adapters: ['/adapters/run-1'],
      transcribe: async (c, s) => {
        calls.push(`${key(s)}:${clipKey(c)}`);
        return HYPS[key(s)][clipKey(c)];
      },
      probe,
      normalise: lower,
      onProgress: (p) => progress.push(p.done / p.total),
      now: () => new Date('2026-01-02T03:04:05Z'),
    });
    // 4 grid rows + 3 sweep scales (0.25, 0.5, 0.75) = 7 configurations × 4 clips
    assert.equal(calls.length, 28);
    assert.equal(progress.at(-1), 1);
    assert.equal(report.createdAt, '2026-01-02T03:04:05.000Z');
    assert.deepEqual(report.models.map((m) => [m.label, m.role, m.adapter, m.adapterScale, m.prompt]), [
      ['base', 'base', null, null, null],
      ['base + prompt', 'base+prompt', null, null, 'PyTorch, CUDA'],
      ['tuned', 'tuned', '/adapters/run-1', 1, null],
      ['tuned + prompt', 'tuned+prompt', '/adapters/run-1', 1, 'PyTorch, CUDA'],
    ]);
    assert.deepEqual(report.dataset, { path: dir, clips: 4, heldoutClips: 2, generalClips: 2 });

    const [base, prompted, tuned] = report.models;
    // held-out, orthographic, N = 5 + 4 = 9. base: "PyTorch → pie + torch" (2) + "CUDA → Cooler" (1) = 3/9
    assert.equal(base.totals.heldout.orthographic.wer, 3 / 9);
    // base + prompt wrote "Pytorch": an error orthographically (2/9) but not once normalised (1/9)
    assert.equal(prompted.totals.heldout.orthographic.wer, 2 / 9);
    assert.equal(prompted.totals.heldout.normalised.wer, 1 / 9);
    assert.equal(tuned.totals.heldout.orthographic.wer, 0);
    assert.deepEqual(base.clips[0].orthographic.diff.slice(4), [{ op: 'sub', ref: 'PyTorch', hyp: 'pie' }, { op: 'ins', hyp: 'torch' }]);

    // guard: general N = 5 + 5 = 10; tuned wrote "CUDA" for "cooler" → 1/10 = 10 points > 1
    assert.deepEqual(report.guard && [report.guard.driftPoints.normalised, report.guard.driftPoints.orthographic, report.guard.flagged, report.guard.generalClips], [10, 10, true, 2]);

    // trade-off over held-out + general term occurrences (PyTorch in t1, CUDA in t2 → 2)
    assert.deepEqual(report.tradeOff.map((c) => [c.adapter, c.mode]), [['/adapters/run-1', 'normalised']]);
    assert.deepEqual(report.tradeOff[0].points, [
      { scale: 0, termAccuracy: 0, generalWer: 0 },
      { scale: 0.25, termAccuracy: 0, generalWer: 0 },
      { scale: 0.5, termAccuracy: 0.5, generalWer: 0 },
      { scale: 0.75, termAccuracy: 1, generalWer: 0 },
      { scale: 1, termAccuracy: 1, generalWer: 0.1 },
    ]);

    // scorecard: term-major; recall and the confusable negative g1 for CUDA
    const card = Object.fromEntries(report.scorecard.map((s) => [`${s.term}/${s.model}`, s]));
    assert.deepEqual(report.scorecard.map((s) => `${s.term}/${s.model}`).slice(0, 4), ['PyTorch/base', 'PyTorch/base + prompt', 'PyTorch/tuned', 'PyTorch/tuned + prompt']);
    assert.deepEqual([card['PyTorch/base'].recall, card['PyTorch/base + prompt'].recall, card['PyTorch/tuned'].recall], [0, 0, 1]);
    assert.deepEqual([card['CUDA/base'].falseInsertions, card['CUDA/tuned'].falseInsertions, card['CUDA/tuned'].negativeClips], [0, 1, 3]);
    // " Py" at -3 (base) and -1 (tuned): means (-3 - 0.2 - 0.1)/3 = -1.1 and (-1 - 0.2 - 0.1)/3
    assert.ok(Math.abs(card['PyTorch/base'].meanLogprob! + 1.1) < 1e-12);
    assert.ok(Math.abs(card['PyTorch/tuned'].meanLogprob! + 1.3 / 3) < 1e-12);
    assert.equal(card['PyTorch/base'].topCompetitor?.text, ' pie');
    assert.equal(card['CUDA/tuned + prompt'].firstToken?.meanLogprob, -0.5);

    assert.deepEqual(report.notes, ['1 clip(s) in split "train" were not scored (not a held-out split).']);
    // the report is plain JSON
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('forgetting guard: a drift equal to the threshold is not flagged; no general clips → null', () => {
  const spec = { role: 'base' as const, model: 'm', adapter: null, adapterScale: null, prompt: null };
  const ref = 'a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v';
  const hyp = ref.replace(/^a /, 'X '); // 1 error in 100 words = exactly 1 point
  const b = scoreRun({ ...spec, label: 'base' }, [{ id: 'g', set: 'general', reference: ref, hypothesis: ref }], (s) => s);
  const t = scoreRun({ ...spec, label: 'tuned', role: 'tuned' }, [{ id: 'g', set: 'general', reference: ref, hypothesis: hyp }], (s) => s);
  assert.equal(ref.split(' ').length, 100);
  const g = forgettingGuard(b, t)!;
  assert.deepEqual([g.driftPoints.normalised, g.thresholdPoints, g.flagged], [1, 1, false]);
  assert.equal(forgettingGuard(b, t, { thresholdPoints: 0.5 })!.flagged, true);
  const h = scoreRun({ ...spec, label: 'base' }, [{ id: 'h', set: 'heldout', reference: ref, hypothesis: ref }], (s) => s);
  assert.equal(forgettingGuard(h, h), null);
});

test('termProbesFromProbeResult maps the lead probe output', () => {
  const top = [{ id: 2508, text: ' pie', logprob: -0.7 }];
  const probes = termProbesFromProbeResult({
    tokens: [{ id: 40, text: ' I', logprob: -0.1, top: [] }, { id: 9485, text: ' Py', logprob: -2, top }, { id: 15884, text: 'Tor', logprob: -0.5, top: [] }],
    terms: [{ term: 'PyTorch', tokenIndices: [1, 2] }, { term: 'CUDA', tokenIndices: [] }],
  });
  assert.deepEqual(probes, [{ term: 'PyTorch', tokens: [{ id: 9485, text: ' Py', logprob: -2 }, { id: 15884, text: 'Tor', logprob: -0.5 }], firstTokenTop: top }]);
});
