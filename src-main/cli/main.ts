/**
 * `vocab-tuner` command-line entry. Each subcommand lives in its own file and is loaded lazily, so
 * `vocab-tuner --help` does not pay for tfjs or SQLite.
 */
import { errorCode, formatError } from '../util/errors.ts';

type Command = { summary: string; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  data: { summary: 'import, export (Hugging Face audiofolder), stats and doctor for recordings', load: () => import('./data.ts') },
  terms: { summary: 'vocabulary terms and their recording script', load: () => import('./terms.ts') },
  backends: { summary: 'list compute backends, which one is chosen and why', load: () => import('./backends.ts') },
  transcribe: { summary: 'transcribe audio files with a Whisper model (optionally + adapter)', load: () => import('./transcribe.ts') },
  probe: { summary: 'teacher-forced token log-probabilities of a transcript', load: () => import('./probe.ts') },
  serve: { summary: 'serve the app to a browser on 127.0.0.1 (API over a token-guarded WebSocket)', load: () => import('./serve.ts') },
  models: { summary: 'list, download (Hugging Face Hub), import and remove Whisper models', load: () => import('./models.ts') },
  tune: { summary: 'fine-tune on an audiofolder dataset (LoRA, freezing, LayerNorm, bias, full)', load: () => import('./tune.ts') },
  export: { summary: 'export a model for other tools (whisper.cpp ggml)', load: () => import('./export.ts') },
  compare: { summary: 'base vs prompted vs tuned on held-out clips: WER, term scorecard, forgetting guard, HTML report', load: () => import('./compare.ts') },
  try: { summary: 'speak (or give a file) and see base vs tuned side by side: transcripts, timings, term probabilities', load: () => import('./try.ts') },
  'export-recipe': { summary: 'a folder that trains the same run with transformers + PEFT on many GPUs (accelerate)', load: () => import('./export-recipe.ts') },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'Usage: vocab-tuner <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    'Run `vocab-tuner <command> --help` for the options of one command.',
    'Global: --backend auto|tensorflow|webgpu|wasm|cpu (or VOCAB_TUNER_BACKEND).',
  ].join('\n');
}

/**
 * Usage errors exit 2 with the command's usage on stderr (the POSIX/argparse convention scripts
 * rely on to tell "you called me wrong" from "it failed"): unknown options and bad values from
 * node's parseArgs (ERR_PARSE_ARGS_*), and our own USAGE / MISSING_ARGUMENT / INVALID_ARGUMENT.
 */
function isUsageError(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'USAGE' || code === 'MISSING_ARGUMENT' || code === 'INVALID_ARGUMENT' || code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * A command's usage text, as its own `--help` prints it (each command keeps its text next to its
 * options; this avoids a second copy of every one).
 */
async function commandUsage(cmd: Command): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  try {
    await (await cmd.load()).run(['--help']);
  } catch {
    // no usage text then; the error line alone still says what was wrong
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

/**
 * Global options before the command (`vocab-tuner --backend cpu backends`). `--backend` becomes
 * VOCAB_TUNER_BACKEND, which every command (and every job process it starts) already reads when
 * it has no --backend of its own. Returns the arguments from the command name on, or an error.
 */
async function takeGlobalOptions(argv: string[]): Promise<{ rest: string[] } | { error: string }> {
  let i = 0;
  while (i < argv.length && argv[i].startsWith('--') && argv[i] !== '--help' && argv[i] !== '--version') {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (flag !== '--backend') return { error: `unknown global option "${flag}"; global options are --backend NAME (command options go after the command)` };
    const value = inline ?? argv[i + 1];
    if (value === undefined || value.startsWith('--')) return { error: '--backend needs a value: auto, tensorflow, webgpu, wasm or cpu' };
    const { parseBackendName } = await import('../compute/backend.ts');
    try {
      process.env.VOCAB_TUNER_BACKEND = parseBackendName(value.trim().toLowerCase());
    } catch (e) {
      return { error: (e as Error).message };
    }
    i += inline === undefined ? 2 : 1;
  }
  return { rest: argv.slice(i) };
}

export async function main(argv: string[]): Promise<number> {
  const globals = await takeGlobalOptions(argv);
  if ('error' in globals) {
    console.error(`error [USAGE]: ${globals.error}\n\n${usage()}`);
    return 2;
  }
  const [name, ...rest] = globals.rest;
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (!name) {
    // No command is a usage error too (exit 2), unlike asking for help.
    console.error(usage());
    return 2;
  }
  if (name === '--version') {
    const { createRequire } = await import('node:module');
    console.log(createRequire(import.meta.url)('../../package.json').version);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`error [USAGE]: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await cmd.load()).run(rest);
  } catch (e) {
    if (!isUsageError(e)) {
      console.error(formatError(e));
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    const code = errorCode(e).startsWith('ERR_PARSE_ARGS_') ? 'USAGE' : errorCode(e);
    // Some commands already put their usage into the message; do not print it twice.
    const help = /^Usage:/m.test(message) ? '' : await commandUsage(cmd);
    console.error(`error [${code}]: ${message}${help ? `\n\n${help}` : ''}`);
    return 2;
  }
}
