import { parseArgs } from 'node:util';
import { backendFromEnv, initBackend, parseBackendName } from '../compute/backend.ts';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: vocab-tuner backends [--backend NAME] [--json]\nLists every compute backend, whether it is available, and which one is chosen and why.');
    return 0;
  }
  const prefer = values.backend ? parseBackendName(values.backend) : backendFromEnv();
  const choice = await initBackend(prefer);
  if (values.json) {
    console.log(JSON.stringify(choice));
    return 0;
  }
  for (const p of choice.probes) {
    const mark = p.name === choice.chosen ? '*' : p.available ? '+' : '-';
    console.log(`${mark} ${p.name.padEnd(10)} ${p.label.padEnd(24)} ${p.available ? 'available' : 'unavailable'}  ${p.device ? `[${p.device}] ` : ''}${p.detail}`);
  }
  console.log(`\nchosen: ${choice.chosen} — ${choice.reason}${choice.threads ? ` (${choice.threads} CPU thread${choice.threads === 1 ? '' : 's'}; set VOCAB_TUNER_THREADS to change)` : ''}`);
  console.log('(* chosen, + available, - unavailable; override with --backend or VOCAB_TUNER_BACKEND)');
  return 0;
}
