/**
 * Model folders that attack the loader (issue 11, problems 4 and 7): absurd dimensions, token ids
 * near 2^31, and non-regular files (a FIFO, /dev/zero behind a symlink). Each must fail quickly
 * with CHECKPOINT_INVALID naming the file and the field — before the loader allocates, spins or
 * blocks. (Before the fix: heap out-of-memory aborts, minutes of CPU, a hang on the FIFO.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCheckpoint } from '../../../src-main/whisper/checkpoint.ts';
import { MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

const skip = NEEDS_REFERENCE;
const fifoSkip = skip || (process.platform === 'win32' && 'no FIFOs on Windows');

function editJson(dir: string, file: string, edit: (j: any) => void): void {
  const j = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  edit(j);
  writeFileSync(path.join(dir, file), JSON.stringify(j));
}

const mkfifo = (p: string) => execFileSync('mkfifo', [p]);

type Case = { name: string; corrupt: (dir: string) => void; file: string; item?: string; says: RegExp; skip?: string | false };

const cases: Case[] = [
  { name: 'decoder_layers 1e9', corrupt: (d) => editJson(d, 'config.json', (c) => (c.decoder_layers = 1e9)), file: 'config.json', item: 'field "decoder_layers"', says: /at most 128/ },
  { name: 'decoder_attention_heads 1e9', corrupt: (d) => editJson(d, 'config.json', (c) => (c.decoder_attention_heads = 1e9)), file: 'config.json', item: 'field "decoder_attention_heads"', says: /at most 256/ },
  { name: 'encoder_layers 1e8', corrupt: (d) => editJson(d, 'config.json', (c) => (c.encoder_layers = 1e8)), file: 'config.json', item: 'field "encoder_layers"', says: /at most 128/ },
  { name: 'max_source_positions 1e9', corrupt: (d) => editJson(d, 'config.json', (c) => (c.max_source_positions = 1e9)), file: 'config.json', item: 'field "max_source_positions"', says: /at most 1500/ },
  {
    name: 'every dimension at its bound (tens of billions of parameters)',
    corrupt: (d) => editJson(d, 'config.json', (c) => Object.assign(c, { d_model: 8192, encoder_layers: 128, decoder_layers: 128, encoder_ffn_dim: 65536, decoder_ffn_dim: 65536 })),
    file: 'config.json',
    says: /billion parameters/,
  },
  { name: 'eos_token_id past the vocabulary', corrupt: (d) => editJson(d, 'config.json', (c) => (c.eos_token_id = 2 ** 31 - 1)), file: 'config.json', item: 'field "eos_token_id"', says: /outside the vocabulary/ },
  { name: 'suppress_tokens near 2^31', corrupt: (d) => editJson(d, 'generation_config.json', (g) => (g.suppress_tokens = [1, 2 ** 31 - 5])), file: 'generation_config.json', item: 'field "suppress_tokens"', says: /below 51864/ },
  {
    name: 'a tokenizer special-token id near 2^31',
    corrupt: (d) =>
      editJson(d, 'tokenizer.json', (t) => {
        t.added_tokens.find((x: any) => x.content === '<|notimestamps|>').id = 2 ** 31 - 100;
      }),
    file: 'tokenizer.json',
    says: /added token "<\|notimestamps\|>" has id 2147483548/,
  },
  { name: 'config.json is a FIFO', corrupt: (d) => (unlinkSync(path.join(d, 'config.json')), mkfifo(path.join(d, 'config.json'))), file: 'config.json', says: /named pipe \(FIFO\)/, skip: fifoSkip },
  { name: 'tokenizer.json is a FIFO', corrupt: (d) => (unlinkSync(path.join(d, 'tokenizer.json')), mkfifo(path.join(d, 'tokenizer.json'))), file: 'tokenizer.json', says: /named pipe \(FIFO\)/, skip: fifoSkip },
  {
    name: 'tokenizer.json is a symlink to /dev/zero',
    corrupt: (d) => (unlinkSync(path.join(d, 'tokenizer.json')), symlinkSync('/dev/zero', path.join(d, 'tokenizer.json'))),
    file: 'tokenizer.json',
    says: /a device, not a regular file/,
    skip: skip || (!existsSync('/dev/zero') && 'no /dev/zero'),
  },
  { name: 'model.safetensors is a FIFO', corrupt: (d) => (unlinkSync(path.join(d, 'model.safetensors')), mkfifo(path.join(d, 'model.safetensors'))), file: 'model.safetensors', says: /named pipe \(FIFO\), not a regular file/, skip: fifoSkip },
];

for (const c of cases) {
  test(`hostile checkpoint: ${c.name}`, { skip: c.skip ?? skip, timeout: 20_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vt-hostile-'));
    try {
      for (const f of readdirSync(MICRO_F32)) copyFileSync(path.join(MICRO_F32, f), path.join(dir, f));
      c.corrupt(dir);
      const t = performance.now();
      await assert.rejects(loadCheckpoint(dir), (e: any) => {
        assert.equal(e.code, 'CHECKPOINT_INVALID', e.stack);
        assert.ok(e.message.includes(path.join(dir, c.file)), `message does not name ${c.file}: ${e.message}`);
        if (c.item) assert.ok(e.message.includes(c.item), `message does not name ${c.item}: ${e.message}`);
        assert.match(e.message, c.says);
        return true;
      });
      const ms = performance.now() - t;
      assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
