/**
 * `vocab-tuner` command-line entry. Each subcommand lives in its own file and is loaded lazily, so
 * `vocab-tuner --help` does not pay for tfjs or SQLite.
 */
import { formatError } from '../util/errors.ts';

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

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version') {
    const { createRequire } = await import('node:module');
    console.log(createRequire(import.meta.url)('../../package.json').version);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`error: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await cmd.load()).run(rest);
  } catch (e) {
    console.error(formatError(e));
    return 1;
  }
}
