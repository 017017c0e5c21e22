/**
 * `vocab-tuner terms add|list|script`: the vocabulary and its recording script.
 */
import { parseArgs } from 'node:util';
import { UserError } from '../util/errors.ts';
import { openFromArgs, STORE_OPTIONS, STORE_USAGE } from './store-args.ts';
import { closeStore } from '../store/store.ts';
import { addTerm, listTerms } from '../store/terms.ts';

const USAGE = `Usage: vocab-tuner terms <command> [options]

Commands:
  add TERM...     add terms, spelled exactly as they should be transcribed (case matters)
      --sounds-like A,B   what Whisper mishears it as ("cooler,kuda"); used for negatives
      --notes TEXT        a note for yourself
      --wanted N          clips to record of this term (default 8)
  list            the vocabulary with coverage (clips recorded / wanted)
  script          sentences to record for every term, plus confusable negatives
      --per-term N        sentences per term (default 6)
      --negatives N       negative sentences per term (default 2)
      --seed N            another seed gives other sentences
      --save              store them as the project's prompts (existing ones are kept)

Options:
${STORE_USAGE}`;

function int(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError('USAGE', `--${name} must be a whole number, got "${v}".`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...STORE_OPTIONS,
      'sounds-like': { type: 'string' },
      notes: { type: 'string' },
      wanted: { type: 'string' },
      'per-term': { type: 'string' },
      negatives: { type: 'string' },
      seed: { type: 'string' },
      save: { type: 'boolean' },
    },
  });
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 2;
  }
  if (!['add', 'list', 'script'].includes(cmd)) throw new UserError('USAGE', `Unknown terms command "${cmd}"; use add, list or script.`);
  if (cmd === 'add' && rest.length === 0) throw new UserError('USAGE', 'Give at least one term: vocab-tuner terms add CUDA PyTorch');
  const { store, project } = openFromArgs(values);
  const out = (obj: unknown, text: () => string) => console.log(values.json ? JSON.stringify(obj) : text());
  try {
    if (cmd === 'add') {
      const soundsLike = values['sounds-like']?.split(',') ?? [];
      const wantedClips = int(values.wanted, 'wanted', 8);
      const added = store.db.transaction(() => rest.map((text) => addTerm(store.db, project.id, { text, soundsLike, notes: values.notes, wantedClips })))();
      out({ added }, () => added.map((t) => `added "${t.text}" (id ${t.id})`).join('\n'));
      return 0;
    }
    const { coverage, generateScript } = await import('../store/script.ts');
    if (cmd === 'list') {
      const terms = listTerms(store.db, project.id);
      const cov = new Map(coverage(store.db, project.id).map((c) => [c.termId, c]));
      out({ terms: terms.map((t) => ({ ...t, coverage: cov.get(t.id) })) }, () =>
        terms.length === 0
          ? 'no terms yet: vocab-tuner terms add CUDA PyTorch'
          : terms
              .map((t) => `${String(t.id).padStart(4)}  ${t.text.padEnd(24)} ${String(cov.get(t.id)!.recorded).padStart(3)}/${t.wantedClips} clips${t.soundsLike.length ? `  sounds like: ${t.soundsLike.join(', ')}` : ''}${t.notes ? `  (${t.notes})` : ''}`)
              .join('\n'),
      );
      return 0;
    }
    const terms = listTerms(store.db, project.id);
    if (terms.length === 0) throw new UserError('NO_TERMS', 'The vocabulary is empty; add terms first: vocab-tuner terms add CUDA PyTorch');
    const lines = generateScript(terms, { perTerm: int(values['per-term'], 'per-term', 6), negativesPerTerm: int(values.negatives, 'negatives', 2), seed: int(values.seed, 'seed', 0) });
    let saved = 0;
    if (values.save) {
      const { addPrompts } = await import('../store/prompts.ts');
      saved = addPrompts(store.db, project.id, lines);
    }
    const byId = new Map(terms.map((t) => [t.id, t.text]));
    out({ lines, saved, coverage: coverage(store.db, project.id) }, () =>
      [
        ...terms.flatMap((t) => [`# ${t.text}`, ...lines.filter((l) => l.termId === t.id).map((l) => `${l.kind === 'negative' ? '  (not the term) ' : '  '}${l.text}`)]),
        values.save ? `saved ${saved} new prompt(s)` : `(not saved; add --save to store these as prompts for ${[...byId.values()].length} term(s))`,
      ].join('\n'),
    );
    return 0;
  } finally {
    closeStore(store);
  }
}
