import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { initBackend, parseBackendName, backendFromEnv } from '../compute/backend.ts';
import { tune, type TuneEvent } from '../tuning/trainer.ts';
import { formatStages } from '../tuning/stages.ts';
import { DEFAULT_LR, DEFAULT_METHOD, METHODS, REGULARIZERS, defaultConfig, type Method, type Regularizer, type TuneConfig } from '../tuning/config.ts';
import { readRunRecord } from '../tuning/run.ts';
import { formatChangeReport } from '../tuning/change-report.ts';
import { UserError } from '../util/errors.ts';
import { progressBar } from './progress.ts';
import { formatDuration } from '../util/time.ts';

const HELP = `Usage: vocab-tuner tune --model DIR --data DATASET --out DIR
       [--method lora|freeze|layernorm|bias|full] [--epochs N | --steps N] [--lr X] [--batch N]
       [--grad-accum N] [--rank R] [--alpha A] [--lora-dropout P] [--lora-encoder]
       [--freeze-layers N|all] [--regularizer distill|l2sp|ewc|none] [--reg-weight W]
       [--schedule linear|cosine|constant] [--warmup N] [--eval-every N] [--checkpoint-every N]
       [--patience N] [--term WORD]... [--terms FILE] [--no-augment] [--no-eval-decode]
       [--seed S] [--resume] [--backend NAME] [--json]
Fine-tunes a Whisper model on an audiofolder DATASET (metadata.csv / metadata.jsonl with file_name,
transcription and optional split). Default: decoder LoRA (q, v of self- and cross-attention, r=8,
alpha=16) with distillation to the base model. LoRA runs write a PEFT adapter to OUT/adapter and
OUT/best; other methods a merged Hugging Face folder. Ctrl-C stops at the next step boundary and
keeps the last checkpoint; --resume continues from it. With --json, stdout is JSON lines (events).`;

function num(v: string | undefined, name: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    throw new UserError('INVALID_ARGUMENT', `--${name} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}, got "${v}"`);
  }
  return n;
}

const OPTIONS = {
  model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, method: { type: 'string' },
  epochs: { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' }, batch: { type: 'string' }, 'grad-accum': { type: 'string' },
  rank: { type: 'string' }, alpha: { type: 'string' }, 'lora-dropout': { type: 'string' }, 'lora-encoder': { type: 'boolean' },
  'freeze-layers': { type: 'string' }, regularizer: { type: 'string' }, 'reg-weight': { type: 'string' }, schedule: { type: 'string' },
  warmup: { type: 'string' }, 'eval-every': { type: 'string' }, 'checkpoint-every': { type: 'string' }, patience: { type: 'string' },
  term: { type: 'string', multiple: true }, terms: { type: 'string' }, 'no-augment': { type: 'boolean' }, 'no-eval-decode': { type: 'boolean' },
  seed: { type: 'string' }, resume: { type: 'boolean' }, backend: { type: 'string' }, language: { type: 'string' }, json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** `tune`'s command line, parsed (strings as typed; `configFromArgs` checks and converts them). */
export function parseTuneArgs(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS }).values;
}

/**
 * The trainer config the options ask for: the preset (`defaultConfig`, the same one the app's Tune
 * button trains with) with each given option applied. No options = the preset exactly.
 */
export function configFromArgs(values: ReturnType<typeof parseTuneArgs>): TuneConfig {
  const method = (values.method ?? 'lora') as Method;
  if (!METHODS.includes(method)) throw new UserError('INVALID_ARGUMENT', `--method must be one of ${METHODS.join(', ')}`);
  const lora = { ...DEFAULT_METHOD.lora };
  lora.rank = num(values.rank, 'rank', { int: true, min: 1, max: 256 }) ?? lora.rank;
  lora.alpha = num(values.alpha, 'alpha', { min: 0 }) ?? lora.rank * 2;
  lora.dropout = num(values['lora-dropout'], 'lora-dropout', { min: 0, max: 0.9 }) ?? lora.dropout;
  if (values['lora-encoder']) lora.stacks = ['encoder', 'decoder'];
  const fl = values['freeze-layers'];
  const freezeEncoderLayers = fl === undefined || fl === 'all' ? 'all' : num(fl, 'freeze-layers', { int: true, min: 0 })!;
  const c = defaultConfig({ method, lora, freezeEncoderLayers });
  c.lr = num(values.lr, 'lr', { min: 0, max: 1 }) ?? DEFAULT_LR[method];
  c.epochs = num(values.epochs, 'epochs', { int: true, min: 1 }) ?? c.epochs;
  const steps = num(values.steps, 'steps', { int: true, min: 1 });
  if (steps !== undefined) c.steps = steps;
  c.batchSize = num(values.batch, 'batch', { int: true, min: 1, max: 256 }) ?? c.batchSize;
  c.gradAccum = num(values['grad-accum'], 'grad-accum', { int: true, min: 1 }) ?? c.gradAccum;
  if (values.regularizer) {
    if (!REGULARIZERS.includes(values.regularizer as Regularizer)) throw new UserError('INVALID_ARGUMENT', `--regularizer must be one of ${REGULARIZERS.join(', ')}`);
    c.regularizer = values.regularizer as Regularizer;
  }
  c.regWeight = num(values['reg-weight'], 'reg-weight', { min: 0 }) ?? c.regWeight;
  if (values.schedule) {
    if (!['linear', 'cosine', 'constant'].includes(values.schedule)) throw new UserError('INVALID_ARGUMENT', '--schedule must be linear, cosine or constant');
    c.schedule = values.schedule as TuneConfig['schedule'];
  }
  c.warmupSteps = num(values.warmup, 'warmup', { int: true, min: 0 }) ?? c.warmupSteps;
  c.evalEvery = num(values['eval-every'], 'eval-every', { int: true, min: 1 }) ?? c.evalEvery;
  c.checkpointEvery = num(values['checkpoint-every'], 'checkpoint-every', { int: true, min: 1 }) ?? c.checkpointEvery;
  c.patience = num(values.patience, 'patience', { int: true, min: 0 }) ?? c.patience;
  c.seed = num(values.seed, 'seed', { int: true, min: 0 }) ?? c.seed;
  if (values['no-augment']) c.augment = { ...c.augment, variants: 1 };
  if (values['no-eval-decode']) c.evalDecode = false;
  c.terms = [...(values.term ?? []), ...(values.terms ? readFileSync(values.terms, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [])];
  if (values.language !== undefined) c.language = values.language;
  return c;
}

export async function run(argv: string[]): Promise<number> {
  const values = parseTuneArgs(argv);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // `tune --out RUN --resume` needs nothing else: the run remembers its model and data.
  const saved = values.resume && values.out ? readRunRecord(values.out) : null;
  if (saved) {
    values.model ??= saved.model;
    values.data ??= saved.data;
  }
  for (const req of ['model', 'data', 'out'] as const) if (!values[req]) throw new UserError('MISSING_ARGUMENT', `--${req} is required (see vocab-tuner tune --help)`);
  const c: TuneConfig = saved ? saved.config : configFromArgs(values); // a resumed run keeps its configuration
  const choice = await initBackend(values.backend ? parseBackendName(values.backend) : backendFromEnv());
  if (!values.json) console.error(`backend: ${choice.chosen} (${choice.reason})`);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    console.error('\nstopping after this step (Ctrl-C again to quit at once)…');
  };
  process.on('SIGINT', onSigint);
  let bar = progressBar(1, 'preparing', { quiet: true });
  let stage = '';
  let outcome;
  try {
    outcome = await tune({
      modelDir: values.model!, dataDir: values.data!, outDir: values.out!, config: c, resume: values.resume, signal: controller.signal,
      onEvent: (e: TuneEvent) => {
        if (values.json) return void process.stdout.write(JSON.stringify(e) + '\n');
        if (e.type === 'prepare') {
          if (e.stage !== stage) {
            if (stage) bar.done();
            bar = progressBar(e.total, e.stage, { unit: ' clips' });
            stage = e.stage;
          }
          bar.update(e.done);
        } else if (e.type === 'start') {
          bar.done();
          console.error(`training ${e.trainable.toLocaleString()} parameters on ${e.trainClips} clips (${e.validationClips} validation, ${e.generalClips} general)${e.encoderFrozen ? ', encoder frozen and cached' : ''}${e.resumedFrom !== null ? `, resumed at step ${e.resumedFrom}` : ''}`);
          bar = progressBar(e.totalSteps, 'tuning', { unit: ' steps' });
        } else if (e.type === 'step') {
          bar.update(e.step, `loss ${e.loss.toFixed(3)} lr ${e.lr.toExponential(1)}`);
        } else if (e.type === 'eval') {
          bar.done(`  eval @${e.step}: val loss ${e.valLoss.toFixed(3)}${e.termRecall !== null ? `, term recall ${(e.termRecall * 100).toFixed(0)}%` : ''}${e.termLogprob !== null ? `, term log-prob ${e.termLogprob.toFixed(2)}` : ''}${e.generalLossDrift !== null ? `, general drift ${e.generalLossDrift >= 0 ? '+' : ''}${e.generalLossDrift.toFixed(3)}${e.guardOk ? '' : ' (guard!)'}` : ''}`);
        } else if (e.type === 'done') {
          bar.done(`done (${e.status}) after ${e.steps} steps; best step ${e.best?.step ?? '-'}; run in ${e.runDir}`);
          console.error(`time by stage: ${formatStages(e.stages)}`);
        } else if (e.type === 'cancelled') {
          bar.done(`cancelled at step ${e.step}; resume with --resume`);
        }
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (!values.json && outcome.status !== 'cancelled') {
    const run = readRunRecord(outcome.runDir);
    if (run?.changeReport) console.log(`\nWhat changed (relative weight change per module, ${formatDuration(run.timings.elapsedSec)} of training):\n${formatChangeReport(run.changeReport)}`);
  }
  return outcome.status === 'cancelled' ? 130 : 0;
}
