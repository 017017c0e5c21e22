/**
 * `vocab-tuner try` as a real process on the fixture model: a file, and the --mic path with a real
 * recorder process (VOCAB_TUNER_MIC_COMMAND = `cat` of raw PCM: a pause, an espeak-ng sentence, a
 * pause — the VAD must end the utterance on the trailing pause, long before the stream ends).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { writePeftPairs, type HostLoraPair } from '../../../src-main/tuning/peft.ts';
import { parseWhisperConfig } from '../../../src-main/whisper/config.ts';
import type { TryResult } from '../../../src-main/ipc/contract.ts';
import { JFK_TEXT, JFK_WAV, MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';
import { hasTool, speak } from '../../helpers/speech.ts';

const CLI = path.resolve(import.meta.dirname, '../../../bin/vocab-tuner.mjs');

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, VOCAB_TUNER_BACKEND: 'wasm', ...env }, maxBuffer: 1 << 24 }, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr })),
  );
}

async function decoderLora(dir: string): Promise<void> {
  const { dims } = parseWhisperConfig(JSON.parse(readFileSync(path.join(MICRO_F32, 'config.json'), 'utf8')));
  let s = 3;
  const rnd = (n: number) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2);
  const d = dims.nTextState, r = 2;
  const pairs = new Map<string, HostLoraPair>([['model.decoder.layers.0.self_attn.q_proj', { A: { shape: [r, d], data: rnd(r * d) }, B: { shape: [d, r], data: rnd(d * r) }, scaling: 2 }]]);
  await writePeftPairs(pairs, { rank: r, alpha: 2 * r, dropout: 0, useRslora: false, dims }, dir, { baseModel: MICRO_F32 });
}

test('vocab-tuner try --audio: base and tuned side by side, encoder shared, term probabilities', { skip: NEEDS_REFERENCE, timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vt-try-cli-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  await decoderLora(path.join(tmp, 'lora'));
  const r = await cli(['try', '--model', MICRO_F32, '--adapter', path.join(tmp, 'lora'), '--audio', JFK_WAV, '--term', 'Americans', '--text', JFK_TEXT, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as TryResult;
  assert.deepEqual(out.transcripts.map((x) => [x.label, x.encoderShared]), [['base', false], ['tuned', true]]);
  assert.equal(out.probes[0].term, 'Americans');
  assert.ok(out.probes[0].base.prob > 0 && out.probes[0].tuned!.prob > 0);
  // The text form names both models, their times, and the term's probabilities.
  const text = await cli(['try', '--model', MICRO_F32, '--adapter', path.join(tmp, 'lora'), '--audio', JFK_WAV, '--term', 'Americans', '--text', JFK_TEXT]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^base\s+\d+ ms/m);
  assert.match(text.stdout, /^tuned\s+\d+ ms, encoder shared/m);
  assert.match(text.stdout, /Americans {2}\(tokens /);
  assert.match(text.stdout, /^ {4}tuned +[\d.e+-]+%/m);
  // Usage: neither --audio nor --mic.
  const bad = await cli(['try', '--model', MICRO_F32]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--audio FILE or --mic/);
});

test('vocab-tuner try --mic: the VAD ends the utterance at the pause after the sentence', { skip: NEEDS_REFERENCE || (!hasTool('espeak-ng') && 'needs espeak-ng'), timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vt-try-mic-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  await speak('I train my models in PyTorch.', path.join(tmp, 's.wav'));
  const speech = decodeWav(new Uint8Array(readFileSync(path.join(tmp, 's.wav')))).channels[0];
  // 1 s pause, the sentence, then 10 s of pause: the recorder would run on; the VAD must not.
  const pcm = new Int16Array(16000 + speech.length + 160000);
  speech.forEach((v, i) => (pcm[16000 + i] = Math.round(Math.max(-1, Math.min(1, v)) * 32767)));
  writeFileSync(path.join(tmp, 'mic.raw'), new Uint8Array(pcm.buffer));
  const r = await cli(['try', '--model', MICRO_F32, '--mic', '--term', 'PyTorch', '--json'], { VOCAB_TUNER_MIC_COMMAND: `cat ${JSON.stringify(path.join(tmp, 'mic.raw'))}` });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as TryResult;
  const sec = speech.length / 16000;
  assert.ok(out.durationSec > sec - 0.4 && out.durationSec < sec + 0.7, `utterance ${out.durationSec.toFixed(2)} s for ${sec.toFixed(2)} s of speech`);
  assert.deepEqual(out.transcripts.map((x) => x.label), ['base']);
});
