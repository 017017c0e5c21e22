/**
 * A corpus of damaged checkpoints, each made by copying the reference micro model and breaking
 * one thing. Every one must fail with exactly one clear CheckpointError that names the file (and
 * the tensor or field), never a crash, a generic TypeError, a huge allocation or a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError, loadCheckpoint } from '../../../src-main/whisper/checkpoint.ts';
import { readSafetensors, writeSafetensors } from '../../../src-main/whisper/safetensors.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const micro = path.resolve(repoRoot, '../shared/reference/models/whisper-micro-en');
const skip = !existsSync(micro) && 'needs ../shared/reference (not in a fresh clone)';

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;

/** Splits a safetensors file into its parsed header and its data buffer. */
function split(file: string): { header: Header; data: Buffer } {
  const b = readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')), data: b.subarray(8 + n) };
}

/** Writes header + data back with a fresh length prefix (no validation: that is the point). */
function join(file: string, header: object | string, data: Buffer): void {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([len, json, data]));
}

type Case = {
  name: string;
  corrupt: (dir: string, model: string) => void | Promise<void>;
  /** File (basename) the message must name, and an optional tensor/field and wording. */
  file: string;
  item?: string;
  says: RegExp;
};

const conv = 'model.encoder.conv1.weight';

const cases: Case[] = [
  {
    name: 'truncated file',
    corrupt: (_, m) => truncateSync(m, Math.floor(readFileSync(m).length / 2)),
    file: 'model.safetensors',
    item: 'tensor "',
    says: /run past the .*data buffer \(truncated file\?\)/,
  },
  {
    name: 'file shorter than the length prefix',
    corrupt: (_, m) => truncateSync(m, 5),
    file: 'model.safetensors',
    says: /too short/,
  },
  {
    name: 'header length past the end of the file',
    corrupt: (_, m) => {
      const b = readFileSync(m);
      b.writeBigUInt64LE(BigInt(b.length));
      writeFileSync(m, b);
    },
    file: 'model.safetensors',
    says: /header length \d+ runs past the end/,
  },
  {
    name: 'a 200 MB header length',
    corrupt: (_, m) => {
      const b = readFileSync(m);
      b.writeBigUInt64LE(200_000_000n);
      writeFileSync(m, b);
    },
    file: 'model.safetensors',
    says: /exceeds the 100000000-byte limit/,
  },
  {
    name: 'non-JSON header',
    corrupt: (_, m) => {
      const { header, data } = split(m);
      join(m, JSON.stringify(header).replace('"model.decoder', '"model.decoder\u0001"'), data);
    },
    file: 'model.safetensors',
    says: /not valid JSON/,
  },
  {
    name: 'header that is not JSON at all',
    corrupt: (_, m) => {
      const { data } = split(m);
      join(m, 'PK\u0003\u0004 this is a zip file', data);
    },
    file: 'model.safetensors',
    says: /does not start with "\{"/,
  },
  {
    name: 'unknown dtype',
    corrupt: (_, m) => {
      const { header, data } = split(m);
      (header[conv] as { dtype: string }).dtype = 'F33';
      join(m, header, data);
    },
    file: 'model.safetensors',
    item: `tensor "${conv}"`,
    says: /unknown dtype "F33"/,
  },
  {
    name: 'overlapping offsets',
    corrupt: (_, m) => {
      const { header, data } = split(m);
      const a = header['model.encoder.layer_norm.bias'] as { data_offsets: [number, number] };
      (header['model.encoder.layer_norm.weight'] as { data_offsets: [number, number] }).data_offsets = [...a.data_offsets];
      join(m, header, data);
    },
    file: 'model.safetensors',
    item: 'tensor "model.encoder.layer_norm.',
    says: /overlap the previous tensor/,
  },
  {
    name: 'out-of-range offsets',
    corrupt: (_, m) => {
      const { header, data } = split(m);
      const t = header[conv] as { data_offsets: [number, number] };
      const size = t.data_offsets[1] - t.data_offsets[0];
      t.data_offsets = [data.length + 1024, data.length + 1024 + size];
      join(m, header, data);
    },
    file: 'model.safetensors',
    item: `tensor "${conv}"`,
    says: /run past the \d+-byte data buffer/,
  },
  {
    name: 'offsets that do not match the shape',
    corrupt: (_, m) => {
      const { header, data } = split(m);
      (header[conv] as { shape: number[] }).shape = [64, 80, 2];
      join(m, header, data);
    },
    file: 'model.safetensors',
    item: `tensor "${conv}"`,
    says: /needs 40960/,
  },
  {
    name: 'missing tensor',
    corrupt: async (_, m) => {
      const w = await readSafetensors(m);
      w.delete('model.decoder.layers.1.fc2.bias');
      await writeSafetensors(m, w);
    },
    file: 'model.safetensors',
    item: 'tensor "model.decoder.layers.1.fc2.bias"',
    says: /missing from the checkpoint/,
  },
  {
    name: 'tensor shape that contradicts config.json',
    corrupt: async (_, m) => {
      const w = await readSafetensors(m);
      w.get('model.decoder.layers.0.fc1.weight')!.shape = [64, 256];
      await writeSafetensors(m, w);
    },
    file: 'model.safetensors',
    item: 'tensor "model.decoder.layers.0.fc1.weight"',
    says: /shape \[64, 256\] but config\.json implies \[256, 64\]/,
  },
  {
    name: 'config.json that disagrees with the weights (d_model)',
    corrupt: (dir) => {
      const c = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...c, d_model: 128 }));
    },
    file: 'model.safetensors',
    item: 'tensor "',
    says: /but config\.json implies/,
  },
  {
    name: 'config.json without a required field',
    corrupt: (dir) => {
      const c = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      delete c.decoder_layers;
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
    },
    file: 'config.json',
    item: 'field "decoder_layers"',
    says: /positive integer/,
  },
  {
    name: 'preprocessor_config.json with the wrong number of mel bins',
    corrupt: (dir) => {
      const c = JSON.parse(readFileSync(path.join(dir, 'preprocessor_config.json'), 'utf8'));
      writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify({ ...c, feature_size: 128 }));
    },
    file: 'preprocessor_config.json',
    item: 'field "feature_size"',
    says: /num_mel_bins is 80/,
  },
  {
    name: 'missing tokenizer',
    corrupt: (dir) => unlinkSync(path.join(dir, 'tokenizer.json')),
    file: 'tokenizer.json',
    says: /is missing/,
  },
  {
    name: 'no weights at all',
    corrupt: (_, m) => unlinkSync(m),
    file: '', // the folder itself
    says: /neither model\.safetensors nor model\.safetensors\.index\.json/,
  },
  {
    name: 'shard index naming a missing shard',
    corrupt: (dir, m) => {
      const names = Object.keys(split(m).header).filter((k) => k !== '__metadata__');
      unlinkSync(m);
      const weightMap = Object.fromEntries(names.map((n) => [n, 'model-00001-of-00001.safetensors']));
      writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    },
    file: 'model-00001-of-00001.safetensors',
    says: /is missing \(listed in model\.safetensors\.index\.json\)/,
  },
];

for (const c of cases) {
  test(`malformed checkpoint: ${c.name}`, { skip, timeout: 20_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vt-bad-'));
    try {
      for (const f of readdirSync(micro)) copyFileSync(path.join(micro, f), path.join(dir, f));
      await c.corrupt(dir, path.join(dir, 'model.safetensors'));
      await assert.rejects(loadCheckpoint(dir), (e: unknown) => {
        assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${(e as Error)?.stack ?? e}`);
        assert.equal(e.code, 'CHECKPOINT_INVALID');
        assert.ok(e.message.includes(path.join(dir, c.file)), `message does not name ${c.file}: ${e.message}`);
        if (c.item) assert.ok(e.message.includes(c.item), `message does not name ${c.item}: ${e.message}`);
        assert.match(e.message, c.says);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
