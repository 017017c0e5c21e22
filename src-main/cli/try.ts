import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { initBackend, parseBackendName, backendFromEnv } from '../compute/backend.ts';
import { loadAudio } from '../audio/load.ts';
import { findExecutable } from '../audio/external-decoder.ts';
import { SAMPLE_RATE } from '../audio/constants.ts';
import { EnergyVad } from '../audio/vad.ts';
import { readTermsFile } from '../eval/eval-set.ts';
import { ModelRunner } from '../eval/run-models.ts';
import { tryUtterance } from '../eval/try-live.ts';
import type { TryResult } from '../ipc/contract.ts';
import { resolveModelDir } from '../models/model-ref.ts';
import { UserError } from '../util/errors.ts';
import { MODEL_OPTIONS, parseScale } from './model-args.ts';

const HELP = `Usage: vocab-tuner try --model DIR [--adapter DIR] [--adapter-scale S] (--audio FILE | --mic)
       [--term WORD]... [--terms FILE] [--text TEXT] [--prompt-column] [--backend NAME] [--json]
Transcribes one utterance with the base model and the tuned model (--adapter: a PEFT adapter,
merged folder or tune --out run folder) side by side: both transcripts with your terms marked,
each model's time, a word diff, and per term the probability each model gives it with the
strongest rival token. --mic listens (arecord, or sox's rec; or the command in
VOCAB_TUNER_MIC_COMMAND printing 16 kHz mono s16le) until you stop talking or press Enter.
--text: what you meant to say (the probabilities are for it; default: the transcript with a term).
--prompt-column adds the base model with your terms as its initial prompt.`;

/** The recorder: 16 kHz mono signed 16-bit little-endian on stdout. */
function micCommand(): string[] {
  const env = process.env.VOCAB_TUNER_MIC_COMMAND;
  if (env) return ['/bin/sh', '-c', env];
  const arecord = findExecutable('arecord');
  if (arecord) return [arecord, '-q', '-f', 'S16_LE', '-r', String(SAMPLE_RATE), '-c', '1', '-t', 'raw'];
  const rec = findExecutable('rec');
  if (rec) return [rec, '-q', '-t', 'raw', '-r', String(SAMPLE_RATE), '-e', 'signed-integer', '-b', '16', '-c', '1', '-'];
  throw new UserError('NOT_AVAILABLE', 'No microphone recorder found: install alsa-utils (arecord) or sox (rec), or set VOCAB_TUNER_MIC_COMMAND; or pass --audio FILE.');
}

/** Listens until the VAD ends the utterance, Enter is pressed (stop key) or the recorder ends. */
export async function listenMic(log: (s: string) => void): Promise<Float32Array> {
  const [cmd, ...args] = micCommand();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const vad = new EnergyVad(SAMPLE_RATE);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let carry = Buffer.alloc(0);
  log('listening… speak now (Enter stops, Ctrl-C cancels)');
  const pcm = await new Promise<Float32Array | null>((resolve, reject) => {
    const done = (x: Float32Array | null) => {
      process.stdin.off('data', onKey);
      if (process.stdin.isTTY) process.stdin.pause();
      child.kill('SIGTERM');
      resolve(x);
    };
    const onKey = () => done(vad.stop());
    if (process.stdin.isTTY) process.stdin.on('data', onKey);
    child.stdout!.on('data', (d: Buffer) => {
      const b = Buffer.concat([carry, d]);
      const n = Math.floor(b.length / 2);
      carry = b.subarray(n * 2);
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = b.readInt16LE(i * 2) / 32768;
      for (const e of vad.push(x)) {
        if (e.type === 'start') log('hearing you… pause to finish');
        else done(e.pcm);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (vad.state === 'done') return;
      const got = vad.stop();
      if (got) return done(got);
      reject(new UserError('MIC_FAILED', `The recorder (${cmd}) stopped${code ? ` with code ${code}` : ''} before any speech was heard. ${stderr.trim().slice(0, 300)}`));
    });
  });
  if (!pcm) throw new UserError('NO_SPEECH', 'Nothing was said before you pressed Enter.');
  return pcm;
}

const pct = (p: number) => (p * 100 >= 0.1 ? `${(p * 100).toFixed(1)}%` : `${(p * 100).toPrecision(2)}%`);

export function formatTry(r: TryResult, color: boolean): string {
  const mark = (text: string) => (color && r.terms.length ? r.terms.reduce((t, term) => t.split(term).join(`\x1b[1;4m${term}\x1b[0m`), text) : text);
  const lines = r.transcripts.map((t) => `${t.label.padEnd(14)} ${`${t.ms} ms${t.encoderShared ? ', encoder shared' : ''}`.padEnd(24)} ${mark(t.text) || '(nothing heard)'}`);
  if (r.diff) lines.push(`diff (base → tuned): ${r.diff.map((o) => (o.op === 'equal' ? o.hyp : o.op === 'sub' ? `[-${o.ref}-]{+${o.hyp}+}` : o.op === 'del' ? `[-${o.ref}-]` : `{+${o.hyp}+}`)).join(' ')}`);
  if (r.probeText) lines.push(`token probabilities, teacher-forced on "${r.probeText}":`);
  for (const p of r.probes) {
    lines.push(`  ${p.term}  (tokens ${p.tokens.map((t) => JSON.stringify(t)).join(' ')})`);
    for (const [name, s] of [['base', p.base], ['tuned', p.tuned]] as const) {
      if (s) lines.push(`    ${name.padEnd(6)} ${pct(s.prob).padStart(8)}   first token ${pct(s.firstTokenProb)}${s.top ? `, rival ${JSON.stringify(s.top.text)} ${pct(s.top.prob)}` : ''}`);
    }
  }
  if (r.terms.length && !r.probeText) lines.push('no term in either transcript: pass --text "what you said" to see the term probabilities');
  lines.push(`${r.durationSec.toFixed(1)} s of audio; models loaded in ${r.loadMs} ms; encoder ran ${r.encoderRuns}x for ${r.transcripts.length} models`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...MODEL_OPTIONS, audio: { type: 'string' }, mic: { type: 'boolean' }, term: { type: 'string', multiple: true }, terms: { type: 'string' }, text: { type: 'string' }, 'prompt-column': { type: 'boolean' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new UserError('MISSING_ARGUMENT', '--model DIR is required (see vocab-tuner try --help)');
  if (!values.audio === !values.mic) throw new UserError('MISSING_ARGUMENT', 'pass either --audio FILE or --mic (see vocab-tuner try --help)');
  const scale = parseScale(values['adapter-scale']);
  const terms = [...new Set([...(values.terms ? readTermsFile(values.terms) : []), ...(values.term ?? []).map((t) => t.trim()).filter(Boolean)])];
  const log = (s: string) => !values.json && console.error(s);
  const choice = await initBackend(values.backend ? parseBackendName(values.backend) : backendFromEnv());
  log(`backend: ${choice.chosen}`);
  // Load first, listen second: the answer then comes right after you stop talking.
  const t0 = performance.now();
  const runner = await ModelRunner.open(resolveModelDir(values.model), { language: values.language ?? 'en' });
  try {
    if (values.adapter) await runner.prepareAdapters([values.adapter]);
    const loadMs = Math.round(performance.now() - t0);
    const samples = values.mic ? await listenMic(log) : await loadAudio(values.audio!);
    log(`transcribing ${(samples.length / SAMPLE_RATE).toFixed(1)} s with ${values.adapter ? 'the base and the tuned model' : 'the base model'}${values['prompt-column'] ? ' (+ prompt)' : ''}… (models loaded in ${loadMs} ms)`);
    const r = { ...(await tryUtterance(runner, samples, { adapter: values.adapter ?? null, scale, terms, expected: values.text, withPrompt: values['prompt-column'] })), loadMs };
    console.log(values.json ? JSON.stringify(r) : formatTry(r, process.stdout.isTTY === true));
  } finally {
    runner.dispose();
  }
  return 0;
}
