import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { loadAudio } from '../audio/load.ts';
import { transcribeSamples, type Transcript } from '../whisper/transcribe.ts';
import { MODEL_OPTIONS, openModel } from './model-args.ts';
import { UserError } from '../util/errors.ts';
import { progressBar } from './progress.ts';

const HELP = `Usage: vocab-tuner transcribe --model DIR [--adapter DIR] [--adapter-scale S] [--language xx]
       [--beam N] [--prompt TEXT] [--temperature T] [--timestamps] [--backend NAME] [--json] FILE...
--timestamps predicts segment timestamps (upstream's timestamp rules) and prints one line per segment.
Transcribes audio files (WAV; see README for other formats). Audio longer than 30 s is decoded in
consecutive 30 s windows. --prompt biases the first window with your vocabulary (<|startofprev|>).
With --json, stdout is one JSON object {"backend", "files": [{"file", "text", "language", "segments"}]}.`;

/** mm:ss.mmm, as Whisper's own CLI prints segment times. */
function formatTime(sec: number): string {
  const m = Math.floor(sec / 60);
  return `${String(m).padStart(2, '0')}:${(sec - m * 60).toFixed(3).padStart(6, '0')}`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...MODEL_OPTIONS, beam: { type: 'string' }, prompt: { type: 'string' }, temperature: { type: 'string' }, timestamps: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UserError('MISSING_ARGUMENT', 'give at least one audio FILE to transcribe');
  const beam = values.beam === undefined ? undefined : Number(values.beam);
  if (beam !== undefined && !(Number.isInteger(beam) && beam >= 1 && beam <= 16)) throw new UserError('INVALID_ARGUMENT', '--beam must be an integer from 1 to 16');
  const temperature = values.temperature === undefined ? undefined : Number(values.temperature);
  if (temperature !== undefined && !(temperature >= 0 && temperature <= 1)) throw new UserError('INVALID_ARGUMENT', '--temperature must be between 0 and 1');
  const m = await openModel(values);
  const files: ({ file: string } & Transcript)[] = [];
  try {
    for (const [i, file] of positionals.entries()) {
      const samples = await loadAudio(file);
      const bar = progressBar(100, `${basename(file)} (${i + 1}/${positionals.length})`, { quiet: values.json, unit: '%' });
      const t = await transcribeSamples(m.model, m.tokenizer, samples, {
        language: values.language,
        beamSize: beam,
        initialPrompt: values.prompt,
        withoutTimestamps: !values.timestamps,
        temperatures: temperature === undefined ? undefined : [temperature],
        onProgress: (f) => bar.update(Math.round(f * 100)),
      });
      bar.done();
      files.push({ file, ...t });
      if (!values.json && values.timestamps) for (const s of t.segments) console.log(`[${formatTime(s.start)} --> ${formatTime(s.end)}] ${s.text}`);
      else if (!values.json) console.log(positionals.length > 1 ? `${file}: ${t.text}` : t.text);
    }
  } finally {
    m.model.dispose();
  }
  if (values.json) console.log(JSON.stringify({ backend: m.backend, files }));
  return 0;
}
