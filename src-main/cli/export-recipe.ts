import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { resolveDataDir } from '../store/paths.ts';
import { DEFAULT_METHOD, defaultConfig, type TuneConfig } from '../tuning/config.ts';
import { exportRecipe, sourceFromRun, type RecipeSource } from '../recipe/write.ts';
import { progressBar, type Progress } from './progress.ts';

const HELP = `Usage: vocab-tuner export-recipe (--run RUN | --config FILE --data DATASET --model MODEL) --out DIR
       [--include-model] [--data-dir DIR] [--json]
Writes a self-contained folder that trains the same thing with Hugging Face transformers + PEFT on
one GPU, many GPUs or many machines (accelerate; DeepSpeed ZeRO-2 optional): the dataset as an
audiofolder with the run's splits, train.py, accelerate configs, pinned requirements.txt and a
README with the exact commands. The LoRA adapter it trains loads back with --adapter.
  --run RUN         a \`vocab-tuner tune --out\` folder, or the app's run number (with --data-dir)
  --config FILE     a run.json, or a JSON trainer config (missing fields: tune's defaults)
  --include-model   copy the base model into OUT/model/ (always done when it has no Hub id)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      run: { type: 'string' }, config: { type: 'string' }, data: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' },
      'include-model': { type: 'boolean' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.out) throw new UserError('MISSING_ARGUMENT', '--out DIR is required (see vocab-tuner export-recipe --help)');
  if (!values.run === !values.config) throw new UserError('MISSING_ARGUMENT', 'pass either --run RUN or --config FILE (see vocab-tuner export-recipe --help)');
  let src: RecipeSource;
  if (values.run) {
    // A bare number is one of the app's runs: <data dir>/runs/<n>/run.
    const appRun = /^\d+$/.test(values.run) && !existsSync(values.run) ? path.join(resolveDataDir({ flag: values['data-dir'] }), 'runs', values.run, 'run') : null;
    src = sourceFromRun(appRun ?? values.run);
    if (values.data) src.dataDir = values.data;
    if (values.model) src.model = values.model;
  } else {
    if (!values.data || !values.model) throw new UserError('MISSING_ARGUMENT', '--config needs --data DATASET and --model MODEL too');
    const json = JSON.parse(readFileSync(values.config!, 'utf8')) as Partial<TuneConfig> & { config?: TuneConfig };
    const given = json.config ?? json;
    // A partial config is completed from tune's defaults (the method's own lr and regulariser too).
    const method = { ...DEFAULT_METHOD, ...given.method, lora: { ...DEFAULT_METHOD.lora, ...given.method?.lora } };
    const base = defaultConfig(method);
    src = { config: { ...base, ...given, method, augment: { ...base.augment, ...given.augment } }, dataDir: values.data, model: values.model, runDir: null };
  }
  let bar: Progress | null = null;
  const r = await exportRecipe(src, values.out, {
    includeModel: values['include-model'],
    onProgress: (done, total) => {
      if (values.json) return;
      bar ??= progressBar(total, 'writing the dataset', { unit: ' clips' });
      bar.update(done);
    },
  });
  (bar as Progress | null)?.done();
  if (values.json) {
    console.log(JSON.stringify({ out: r.out, dataset: r.dataset, includedModel: r.includedModel, config: r.config }));
    return 0;
  }
  const c = r.dataset.counts;
  console.log(`recipe written to ${r.out}`);
  console.log(`  data/: ${c.train} train, ${c.validation} validation, ${c.test} test (${r.dataset.general} general)`);
  console.log(`  base model: ${r.includedModel ? 'copied into model/' : r.config.base_model}`);
  console.log(`next: read ${path.join(r.out, 'README.md')} — e.g. accelerate launch --config_file accelerate/multi_gpu.yaml --num_processes 8 train.py`);
  return 0;
}
