import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { loadAudio } from '../audio/load.ts';
import { logMelSpectrogram, padOrTrim } from '../audio/mel.ts';
import { N_SAMPLES } from '../audio/constants.ts';
import { probeTranscript, type ProbeResult } from '../whisper/probe.ts';
import { MODEL_OPTIONS, openModel } from './model-args.ts';
import { UserError } from '../util/errors.ts';

const HELP = `Usage: vocab-tuner probe --model DIR [--adapter DIR] [--adapter-scale S] --audio FILE --text TEXT
       [--language xx] [--top-k K] [--term WORD]... [--prompt TEXT] [--backend NAME] [--json]
Teacher-forced log-probability of every token of TEXT (then <|endoftext|>) given the audio and the
tokens before it, the top-K competitors at each position, and per-term sums for each --term.
Log-probs are raw log-softmax values (no suppression). Audio must be at most 30 s.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...MODEL_OPTIONS, audio: { type: 'string' }, text: { type: 'string' }, 'top-k': { type: 'string' }, term: { type: 'string', multiple: true }, prompt: { type: 'string' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.audio) throw new UserError('MISSING_ARGUMENT', '--audio FILE is required');
  if (values.text === undefined) throw new UserError('MISSING_ARGUMENT', '--text TEXT is required (the transcript to score)');
  const k = values['top-k'] === undefined ? 5 : Number(values['top-k']);
  if (!(Number.isInteger(k) && k >= 1 && k <= 50)) throw new UserError('INVALID_ARGUMENT', '--top-k must be an integer from 1 to 50');
  const m = await openModel(values);
  let result: ProbeResult;
  try {
    const samples = await loadAudio(values.audio);
    if (samples.length > N_SAMPLES) throw new UserError('AUDIO_TOO_LONG', `${values.audio} is ${(samples.length / 16000).toFixed(1)} s; the probe scores one 30 s window — trim the clip`);
    const mel = logMelSpectrogram(padOrTrim(samples), m.model.dims.nMels);
    const audio = tf.tidy(() => m.model.encode(tf.tensor3d(mel.data, [1, mel.nMels, mel.nFrames])));
    try {
      result = await probeTranscript(m.model, m.tokenizer, audio, values.text, { language: values.language, topK: k, terms: values.term, prompt: values.prompt });
    } finally {
      audio.dispose();
    }
  } finally {
    m.model.dispose();
  }
  if (values.json) {
    console.log(JSON.stringify(result));
    return 0;
  }
  const w = Math.max(8, ...result.tokens.map((t) => JSON.stringify(t.text).length));
  console.log(`${'token'.padEnd(w)}  logprob   prob    top competitors`);
  for (const t of result.tokens) {
    const top = t.top.filter((x) => x.id !== t.id).slice(0, 3).map((x) => `${JSON.stringify(x.text)} ${x.logprob.toFixed(2)}`).join(', ');
    console.log(`${JSON.stringify(t.text).padEnd(w)}  ${t.logprob.toFixed(3).padStart(7)}  ${Math.exp(t.logprob).toFixed(3)}  ${top}`);
  }
  console.log(`total log-prob ${result.total_logprob.toFixed(3)} over ${result.tokens.length} tokens (mean ${result.mean_logprob.toFixed(3)})`);
  for (const t of result.terms) console.log(`term ${JSON.stringify(t.term)} @${t.offset}: tokens ${t.tokens.map((x) => JSON.stringify(x)).join(' ')} log-prob ${t.logprob.toFixed(3)} p=${t.prob.toExponential(2)}`);
  return 0;
}
