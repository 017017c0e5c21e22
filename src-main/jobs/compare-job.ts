/**
 * @file Job: the before/after comparison of one tuning run, with the compare engineer's model
 * runner (`eval/run-models.ts`, the same code as `vocab-tuner compare`) on the run's own exported
 * dataset, so the held-out clips are exactly the ones the run never trained on. The report is
 * written atomically next to the run (`compare.json`); the app reads it with `compare.get`.
 *
 *   params: { modelDir, adapterDir, dataDir, terms, scales, reportPath }
 *   result: { reportPath, configurations, clips }
 */
import { backendFromEnv, initBackend } from '../compute/backend.ts';
import { runComparison } from '../eval/compare.ts';
import { readEvalSet } from '../eval/eval-set.ts';
import { ModelRunner, withEta } from '../eval/run-models.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { JobContext } from './protocol.ts';

export interface CompareJobParams {
  modelDir: string;
  adapterDir: string;
  dataDir: string;
  terms: string[];
  /** Adapter scales for the trade-off curve (0 and 1 are the base and tuned rows). */
  scales: number[];
  reportPath: string;
}

/** Thrown inside runComparison's progress callback to stop between clips on Cancel. */
class Cancelled extends Error {}

export async function run(p: CompareJobParams, ctx: JobContext): Promise<{ reportPath: string; configurations: number; clips: number }> {
  const evalSet = readEvalSet(p.dataDir); // cheap checks before the model loads
  await initBackend(backendFromEnv());
  ctx.progress({ done: 0, total: 1, message: 'loading the base model', etaSec: null });
  const runner = await ModelRunner.open(p.modelDir, { language: 'en' });
  try {
    const adapters = await runner.prepareAdapters([p.adapterDir]);
    const report = await runComparison({
      evalSet,
      terms: p.terms,
      model: runner.modelDir,
      adapters,
      transcribe: runner.transcribe,
      probe: p.terms.length > 0 ? runner.probe : undefined,
      normalise: runner.normaliser(),
      scales: p.scales,
      onProgress: withEta((x) => {
        if (ctx.signal.aborted) throw new Cancelled('cancelled');
        ctx.progress({ done: x.done, total: x.total, message: x.label, etaSec: Number.isFinite(x.etaSec) ? x.etaSec : null });
      }),
    });
    report.notes.push(...runner.notes());
    writeFileAtomic(p.reportPath, JSON.stringify(report));
    return { reportPath: p.reportPath, configurations: report.models.length, clips: report.dataset.clips };
  } finally {
    runner.dispose();
  }
}
