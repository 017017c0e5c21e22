/**
 * `vocab-tuner compare`: base vs base + prompt vs tuned vs tuned + prompt on the held-out clips of
 * an exported dataset, with the term scorecard, the forgetting guard and the adapter-scale
 * trade-off; as text, as one JSON object (--json) and as a self-contained HTML report (--html).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { backendFromEnv, initBackend, parseBackendName } from '../compute/backend.ts';
import { runComparison } from '../eval/compare.ts';
import { readEvalSet, readTermsFile } from '../eval/eval-set.ts';
import { DEFAULT_GUARD_THRESHOLD_POINTS, DEFAULT_TRADE_OFF_SCALES } from '../eval/grid.ts';
import { renderReport } from '../eval/report-html.ts';
import { ModelRunner } from '../eval/run-models.ts';
import type { CompareReport } from '../eval/types.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { progressBar, type Progress } from './progress.ts';
import { formatDuration } from '../util/time.ts';

const HELP = `Usage: vocab-tuner compare --model DIR [--adapter DIR]... --data DATASET
       [--terms FILE] [--term WORD]... [--scales 0,0.25,0.5,0.75,1] [--no-prompt]
       [--language xx] [--beam N] [--max-tokens N] [--guard-threshold POINTS] [--backend NAME] [--json] [--html FILE]
Decodes the held-out clips of DATASET (an audiofolder, e.g. from \`vocab-tuner data export\`:
test/, or validation/ when test has no term clips; rows with subset=general are the forgetting-
guard set; train/ is never scored) with the base model, the base model prompted with the
vocabulary, and each adapter with and without the prompt. Reports WER/CER in two modes
(orthographic and Whisper-normalised), a term scorecard (exact-spelling recall, false insertions,
teacher-forced log-probs and the top competing token), the general-set WER drift base → tuned
(flagged above --guard-threshold points, default ${DEFAULT_GUARD_THRESHOLD_POINTS}) and the trade-off at
each --scales adapter scale (first adapter only; --scales none to skip).
--adapter takes a PEFT adapter, a merged model folder or a tune run folder (its best/).
Decoding is greedy (or --beam N) at temperature 0, so runs are deterministic; --max-tokens caps
the tokens decoded per clip (default 224). --json: stdout is the report as one JSON
object; --html FILE writes a report that opens offline. Progress goes to stderr.`;

function parseScales(v: string | undefined): number[] {
  if (v === undefined) return [...DEFAULT_TRADE_OFF_SCALES];
  if (v.trim() === 'none' || v.trim() === '') return [];
  const out = v.split(',').map((s) => Number(s.trim()));
  if (out.some((s) => !Number.isFinite(s) || s < 0 || s > 2)) {
    throw new UserError('INVALID_ARGUMENT', `--scales must be comma-separated numbers from 0 to 2 (e.g. 0,0.25,0.5,0.75,1) or "none", got "${v}"`);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

/** Plain-text table: the first `textCols` columns left-aligned, the numbers right-aligned. */
function table(head: string[], rows: string[][], textCols = 1): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < textCols ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** The human summary printed without --json. */
export function formatSummary(r: CompareReport): string {
  const out: string[] = [];
  out.push(`${r.dataset.clips} clips (${r.dataset.heldoutClips} held-out, ${r.dataset.generalClips} general) from ${r.dataset.path}`);
  out.push(`terms: ${r.terms.length ? r.terms.join(', ') : '(none)'}`, '');
  const termAcc = (label: string) => {
    const s = r.scorecard.filter((x) => x.model === label);
    const occ = s.reduce((a, x) => a + x.occurrences, 0);
    return occ > 0 ? s.reduce((a, x) => a + x.hits, 0) / occ : null;
  };
  const has = (set: 'heldout' | 'general') => r.models.some((m) => m.totals[set].orthographic.clips > 0);
  const head = ['model'];
  if (has('heldout')) head.push('held-out WER', 'normalised');
  if (has('general')) head.push('general WER', 'normalised');
  head.push('term accuracy');
  out.push(table(head, r.models.map((m) => {
    const row = [m.label];
    for (const set of ['heldout', 'general'] as const) {
      if (has(set)) row.push(pct(m.totals[set].orthographic.wer), pct(m.totals[set].normalised.wer));
    }
    row.push(pct(termAcc(m.label)));
    return row;
  })));
  if (r.terms.length > 0) {
    out.push('', 'term scorecard (exact spelling; log-probs teacher-forced on the reference):');
    out.push(table(['term', 'model', 'recall', 'false ins.', 'mean log-prob', 'first token', 'top competitor'], r.scorecard.map((s) => [
      s.term,
      s.model,
      s.recall === null ? '—' : `${pct(s.recall)} (${s.hits}/${s.occurrences})`,
      `${s.falseInsertions}/${s.negativeClips}`,
      s.meanLogprob === null ? '—' : s.meanLogprob.toFixed(2),
      s.firstToken ? `${JSON.stringify(s.firstToken.text)} ${pct(Math.exp(s.firstToken.meanLogprob))}` : '—',
      s.topCompetitor ? `${JSON.stringify(s.topCompetitor.text)} ${pct(Math.exp(s.topCompetitor.meanLogprob))}` : '—',
    ]), 2));
  }
  out.push('');
  const g = r.guard;
  if (g) {
    const sign = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
    out.push(`forgetting guard: ${g.flagged ? 'FLAGGED' : 'ok'} — general ${g.mode} WER ${pct(g.baseWer[g.mode])} → ${pct(g.tunedWer[g.mode])} (${sign(g.driftPoints[g.mode])} pt, threshold +${g.thresholdPoints.toFixed(1)} pt, ${g.generalClips} clips)`);
  } else out.push('forgetting guard: not run (needs an adapter and general clips)');
  for (const c of r.tradeOff) {
    out.push('', `trade-off for ${c.adapter} (general WER ${c.mode}):`);
    out.push(table(['scale', ...c.points.map((p) => String(p.scale))], [
      ['term accuracy', ...c.points.map((p) => pct(p.termAccuracy))],
      ['general WER', ...c.points.map((p) => pct(p.generalWer))],
    ]));
  }
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, adapter: { type: 'string', multiple: true }, data: { type: 'string' },
      terms: { type: 'string' }, term: { type: 'string', multiple: true }, scales: { type: 'string' }, 'no-prompt': { type: 'boolean' },
      language: { type: 'string' }, beam: { type: 'string' }, 'max-tokens': { type: 'string' }, 'guard-threshold': { type: 'string' },
      backend: { type: 'string' }, json: { type: 'boolean' }, html: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new UserError('MISSING_ARGUMENT', '--model DIR is required (a Hugging Face Whisper folder, e.g. one from `vocab-tuner models download`)');
  if (!values.data) throw new UserError('MISSING_ARGUMENT', '--data DATASET is required (an audiofolder, e.g. from `vocab-tuner data export OUT`)');
  const beam = values.beam === undefined ? undefined : Number(values.beam);
  if (beam !== undefined && !(Number.isInteger(beam) && beam >= 1 && beam <= 16)) throw new UserError('INVALID_ARGUMENT', '--beam must be an integer from 1 to 16');
  const maxTokens = values['max-tokens'] === undefined ? undefined : Number(values['max-tokens']);
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens >= 1 && maxTokens <= 224)) throw new UserError('INVALID_ARGUMENT', '--max-tokens must be an integer from 1 to 224');
  const threshold = values['guard-threshold'] === undefined ? undefined : Number(values['guard-threshold']);
  if (threshold !== undefined && !(Number.isFinite(threshold) && threshold >= 0)) throw new UserError('INVALID_ARGUMENT', '--guard-threshold must be a number of WER points ≥ 0 (e.g. 1)');
  const scales = parseScales(values.scales);
  const terms = [...new Set([...(values.terms ? readTermsFile(values.terms) : []), ...(values.term ?? []).map((t) => t.trim()).filter(Boolean)])];
  // Cheap checks first: a missing dataset should not wait for the model to load.
  const evalSet = readEvalSet(values.data);

  const choice = await initBackend(values.backend ? parseBackendName(values.backend) : backendFromEnv());
  console.error(`backend: ${choice.chosen} (${choice.reason})`);
  const runner = await ModelRunner.open(values.model, { language: values.language ?? 'en', beamSize: beam, maxTokens });
  let report: CompareReport;
  const started = Date.now();
  try {
    const adapters = await runner.prepareAdapters(values.adapter ?? []);
    let bar: Progress | null = null;
    report = await runComparison({
      evalSet,
      terms,
      model: runner.modelDir,
      adapters,
      transcribe: runner.transcribe,
      probe: terms.length > 0 ? runner.probe : undefined,
      normalise: runner.normaliser(),
      prompt: values['no-prompt'] ? null : undefined,
      scales,
      guard: { thresholdPoints: threshold },
      onProgress: (p) => {
        bar ??= progressBar(p.total, 'compare', { unit: ' clips' });
        bar.update(p.done, p.label);
      },
    });
    (bar as Progress | null)?.done();
    report.notes.push(...runner.notes());
  } finally {
    runner.dispose();
  }
  const s = runner.stats;
  console.error(`compared ${report.models.length} configurations in ${formatDuration((Date.now() - started) / 1000)}: ${s.decodes} decodes, ${s.probes} probes, encoder ${s.encoderRuns} runs + ${s.encoderCacheHits} cached`);
  if (values.html) {
    writeFileAtomic(values.html, renderReport(report));
    console.error(`report written to ${path.resolve(values.html)}`);
  }
  if (values.json) console.log(JSON.stringify(report));
  else console.log(formatSummary(report));
  return 0;
}
