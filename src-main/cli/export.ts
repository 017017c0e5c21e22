/**
 * `vocab-tuner export --model DIR|REPO --format ggml [--ggml-type f16|f32] --out FILE [--json]`:
 * writes a model in a format other tools load. Each format is one entry of EXPORTERS, so adding
 * `hf` (merged folder) and `peft` (adapter) is one more entry each, reusing the parsed options.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { formatBytes } from '../models/download.ts';
import { exportGgml } from '../models/ggml.ts';
import { resolveModelDir } from '../models/model-ref.ts';
import { exportGgmlTuned, exportHf, exportPeft } from '../tuning/export.ts';
import { parseScale } from './model-args.ts';

const USAGE = `Usage:
  vocab-tuner export --model DIR|REPO --format ggml [--ggml-type f16|f32] --out FILE [--json]

--model  a Hugging Face Whisper folder, or a repo id / short name already downloaded
--format ggml: whisper.cpp's model file (for whisper.cpp, MacWhisper, Buzz, Vibe, ...)
--ggml-type f16 (default: half the size, and what whisper.cpp's CPU encoder needs) or f32
  vocab-tuner export --model DIR|REPO --adapter DIR --format hf|peft [--adapter-scale S] --out DIR [--json]
--format hf: the base with the adapter merged in, as a complete Hugging Face Whisper folder
--format peft: the LoRA adapter in PEFT's layout (adapter_config.json + adapter_model.safetensors)
--adapter a PEFT LoRA folder or a tuned full-model folder; --adapter-scale 0..2 (default 1) blends it`;

export type ExportArgs = { modelDir: string; out: string; adapter?: string; scale: number; ggmlType: 'f16' | 'f32'; json: boolean };

type Exporter = (a: ExportArgs) => Promise<Record<string, unknown>>;

const EXPORTERS: Record<string, Exporter> = {
  ggml: async (a) => {
    const onTensor = a.json || !process.stderr.isTTY ? undefined : (name: string, i: number, n: number) => process.stderr.write(`\r  tensor ${i + 1}/${n} ${name}\x1b[K${i + 1 === n ? '\n' : ''}`);
    // A tuned model is merged first (whisper.cpp has no adapters); see exportGgmlTuned.
    const r = a.adapter ? await exportGgmlTuned({ ...a, adapter: a.adapter }, { type: a.ggmlType, onTensor }) : await exportGgml(a.modelDir, a.out, { type: a.ggmlType, onTensor });
    return { ...r, model: a.modelDir, adapter: a.adapter ?? null };
  },
  hf: exportHf,
  peft: exportPeft,
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      format: { type: 'string' },
      'ggml-type': { type: 'string', default: 'f16' },
      out: { type: 'string' },
      adapter: { type: 'string' },
      'adapter-scale': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length) throw new UserError('USAGE', `export takes no positional arguments (got "${positionals[0]}").\n\n${USAGE}`);
  if (!values.model || !values.format || !values.out) throw new UserError('USAGE', `export needs --model, --format and --out.\n\n${USAGE}`);
  const exporter = EXPORTERS[values.format];
  if (!exporter) throw new UserError('USAGE', `unknown --format "${values.format}"; supported: ${Object.keys(EXPORTERS).join(', ')}.`);
  const ggmlType = values['ggml-type'];
  if (ggmlType !== 'f16' && ggmlType !== 'f32') throw new UserError('USAGE', `--ggml-type must be f16 or f32, not "${ggmlType}".`);

  const args: ExportArgs = { modelDir: resolveModelDir(values.model), out: path.resolve(values.out), adapter: values.adapter, scale: parseScale(values['adapter-scale']), ggmlType, json: values.json };
  const result = await exporter(args);
  if (values.json) console.log(JSON.stringify({ format: values.format, ...result }));
  else console.log(`Wrote ${args.out} (${values.format}${values.format === 'ggml' ? ` ${ggmlType}` : ''}, ${formatBytes(Number(result.bytes ?? 0))}).`);
  return 0;
}
