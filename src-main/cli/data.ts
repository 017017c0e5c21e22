/**
 * `vocab-tuner data import|export|stats|doctor`: the voice data store from the command line.
 */
import { parseArgs } from 'node:util';
import { UserError } from '../util/errors.ts';
import { openFromArgs, STORE_OPTIONS, STORE_USAGE } from './store-args.ts';
import { closeStore } from '../store/store.ts';

const USAGE = `Usage: vocab-tuner data <command> [options]

Commands:
  import FOLDER   import audio + transcripts (audiofolder metadata.csv / metadata.jsonl, or a
                  same-name .txt beside each audio file); all or nothing
      --skip-duplicates   import the rest when some clips are already stored
  export OUT      write a Hugging Face audiofolder (train/ validation/ test/, metadata.csv each)
      --escape-formulas   prefix transcripts starting with = + - @ with ' instead of refusing
      --seed N            seed for assigning splits to clips that have none yet
  stats           clips, hours, splits and per-term coverage
  doctor          check files against the database: missing, damaged, orphan, partial files
      --fix               move orphans to quarantine/ and remove stale partial writes

Options:
${STORE_USAGE}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...STORE_OPTIONS, 'skip-duplicates': { type: 'boolean' }, 'escape-formulas': { type: 'boolean' }, seed: { type: 'string' }, fix: { type: 'boolean' } },
  });
  const [cmd, arg] = positionals;
  if (values.help || !cmd) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 2;
  }
  if (!['import', 'export', 'stats', 'doctor'].includes(cmd)) throw new UserError('USAGE', `Unknown data command "${cmd}"; use import, export, stats or doctor.`);
  if ((cmd === 'import' || cmd === 'export') && !arg) throw new UserError('USAGE', `"data ${cmd}" needs a folder: vocab-tuner data ${cmd} ${cmd === 'import' ? 'FOLDER' : 'OUT'}.`);
  const { store, project } = openFromArgs(values);
  const out = (obj: unknown, text: () => string) => console.log(values.json ? JSON.stringify(obj) : text());
  try {
    if (cmd === 'import') {
      const { importFolder } = await import('../store/import.ts');
      const r = await importFolder(store, project.id, arg, {
        skipDuplicates: values['skip-duplicates'],
        onProgress: (done, total, stage) => {
          if (!values.json && (done === total || done % 50 === 0)) process.stderr.write(`${stage === 'check' ? 'checked' : 'stored'} ${done}/${total}\n`);
        },
      });
      out({ imported: r.imported.length, ids: r.imported, skipped: r.skipped }, () =>
        [`imported ${r.imported.length} clip(s) into project "${project.name}"`, ...r.skipped.map((s) => `skipped ${s.name}: ${s.reason}`)].join('\n'),
      );
      return 0;
    }
    if (cmd === 'export') {
      const { exportAudiofolder } = await import('../store/export.ts');
      const seed = values.seed === undefined ? undefined : Number(values.seed);
      if (seed !== undefined && !Number.isInteger(seed)) throw new UserError('USAGE', `--seed must be an integer, got "${values.seed}".`);
      const r = exportAudiofolder(store, project.id, arg, { escapeFormulas: values['escape-formulas'], seed });
      out(r, () =>
        [
          `exported to ${r.out}: ${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          ...(r.skipped.length ? [`skipped ${r.skipped.length} clip(s) without a transcript`] : []),
          ...(r.escaped.length ? [`prefixed ' to ${r.escaped.length} transcript(s) that started like a formula`] : []),
          `load with: datasets.load_dataset("audiofolder", data_dir="${r.out}")`,
        ].join('\n'),
      );
      return 0;
    }
    if (cmd === 'stats') {
      const { projectStats } = await import('../store/stats.ts');
      const s = projectStats(store.db, project.id);
      out({ project: project.name, dataDir: store.dataDir, ...s }, () =>
        [
          `project "${project.name}" in ${store.dataDir}`,
          `clips: ${s.clips} (${(s.seconds / 60).toFixed(1)} min); ${s.transcripts.missing} without transcript, ${s.transcripts.edited} edited by hand`,
          `splits: ${Object.entries(s.splits).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `terms: ${s.terms}, prompts: ${s.prompts}`,
          ...s.coverage.map((c) => `  ${c.text.padEnd(24)} ${String(c.recorded).padStart(4)} / ${c.wanted} clips, ${c.prompts} prompts, ${c.negatives} negatives`),
        ].join('\n'),
      );
      return 0;
    }
    const { doctor, isHealthy } = await import('../store/doctor.ts');
    const r = doctor(store, { fix: values.fix });
    out({ healthy: isHealthy(r), ...r }, () =>
      [
        `checked ${r.checked} clip(s) in ${store.dataDir}`,
        ...r.missing.map((m) => `MISSING   clip ${m.id}: ${m.file} (restore it from a backup)`),
        ...r.mismatched.map((m) => `DAMAGED   clip ${m.id}: ${m.file} (sha256 ${m.actual.slice(0, 12)}…, expected ${m.expected.slice(0, 12)}…)`),
        ...r.orphans.map((f) => `ORPHAN    ${f} (no clip points at it${values.fix ? '' : '; --fix moves it to quarantine/'})`),
        ...r.partials.map((f) => `PARTIAL   ${f} (an interrupted write${values.fix ? '' : '; --fix removes it'})`),
        ...r.fixed.quarantined.map((q) => `moved     ${q.from} -> ${q.to}`),
        ...r.fixed.removedPartials.map((f) => `removed   ${f}`),
        isHealthy(r) ? 'ok: every clip is present and matches its checksum' : 'PROBLEMS FOUND: see above; nothing was deleted',
      ].join('\n'),
    );
    return isHealthy(r) ? 0 : 1;
  } finally {
    closeStore(store);
  }
}
