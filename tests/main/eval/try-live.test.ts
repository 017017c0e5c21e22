// Try it's core on the fixture model: base, tuned (a decoder-only LoRA) and base + prompt on one
// utterance; the encoder runs once per input kind and the tuned model reuses it; the term
// probabilities equal the probe's own numbers; no audio is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadAudio } from '../../../src-main/audio/load.ts';
import { logMelSpectrogram, padOrTrim } from '../../../src-main/audio/mel.ts';
import { ModelRunner } from '../../../src-main/eval/run-models.ts';
import { probeTextFor, tryUtterance } from '../../../src-main/eval/try-live.ts';
import { writePeftPairs, type HostLoraPair } from '../../../src-main/tuning/peft.ts';
import { applyAdapterDir } from '../../../src-main/tuning/apply-adapter.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { decodedForm, probeTranscript } from '../../../src-main/whisper/probe.ts';
import { JFK_TEXT, JFK_WAV, MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

async function writeDecoderLora(dir: string): Promise<void> {
  const w = await loadWhisper(MICRO_F32);
  const dims = w.checkpoint.dims;
  w.model.dispose();
  let s = 11;
  const rnd = (n: number) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2);
  const d = dims.nTextState, r = 4;
  const pairs = new Map<string, HostLoraPair>();
  for (const m of ['model.decoder.layers.0.self_attn.q_proj', 'model.decoder.layers.1.encoder_attn.v_proj']) pairs.set(m, { A: { shape: [r, d], data: rnd(r * d) }, B: { shape: [d, r], data: rnd(d * r) }, scaling: 2 });
  await writePeftPairs(pairs, { rank: r, alpha: 2 * r, dropout: 0, useRslora: false, dims }, dir, { baseModel: MICRO_F32 });
}

/** The probe's own probability of "Americans" (sum of its tokens' log-probs). */
async function directProb(adapter: string | null, scale: number): Promise<number> {
  const w = await loadWhisper(MICRO_F32);
  if (adapter) w.model = (await applyAdapterDir(w, adapter, scale)).model;
  const mel = logMelSpectrogram(padOrTrim(await loadAudio(JFK_WAV)), 80);
  const audio = tf.tidy(() => w.model.encode(tf.tensor3d(mel.data, [1, 80, mel.nFrames])));
  const p = await probeTranscript(w.model, w.tokenizer, audio, decodedForm(JFK_TEXT), { terms: ['Americans'], language: 'en' });
  audio.dispose();
  w.model.dispose();
  return Math.exp(p.terms[0].logprob);
}

test('probeTextFor: what was meant, else the first transcript with a term', () => {
  const ts = [{ text: 'I use pie torch.' }, { text: 'I use PyTorch.' }];
  assert.equal(probeTextFor(ts, ['PyTorch']), 'I use PyTorch.');
  assert.equal(probeTextFor(ts, ['CUDA']), null);
  assert.equal(probeTextFor(ts, ['CUDA'], ' I meant CUDA. '), 'I meant CUDA.');
});

test('tryUtterance: base | tuned | base + prompt, one encoder pass per input shared by the tuned model, the probe\'s numbers', { skip: NEEDS_REFERENCE, timeout: 10 * 60_000 }, async (t) => {
  await initBackend('wasm');
  const tmp = mkdtempSync(path.join(tmpdir(), 'vt-try-test-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const lora = path.join(tmp, 'lora');
  await writeDecoderLora(lora);
  const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('vt-try-')));
  const runner = await ModelRunner.open(MICRO_F32, { language: 'en', maxTokens: 6 });
  try {
    await runner.prepareAdapters([lora]);
    const samples = await loadAudio(JFK_WAV);
    const r = await tryUtterance(runner, samples, { adapter: lora, scale: 0.5, terms: ['Americans'], expected: JFK_TEXT, withPrompt: true });
    assert.deepEqual(r.transcripts.map((x) => x.label), ['base', 'tuned', 'base + prompt']);
    assert.deepEqual(r.transcripts.map((x) => x.encoderShared), [false, true, true], 'the decoder-only adapter reuses the base encoder output');
    // One encoder pass for the transcription window and one for the probe input, for all three models.
    assert.equal(r.encoderRuns, 2);
    for (const x of r.transcripts) assert.ok(x.ms > 0 && Number.isFinite(x.ms));
    assert.equal(r.probeText, JFK_TEXT.trim());
    assert.equal(r.probes.length, 1);
    const p = r.probes[0];
    assert.equal(p.term, 'Americans');
    assert.ok(p.base.top && p.tuned?.top, 'a top competitor on both sides');
    const [wantBase, wantTuned] = [await directProb(null, 0), await directProb(lora, 0.5)];
    assert.ok(Math.abs(Math.log(p.base.prob) - Math.log(wantBase)) < 1e-4, `base ${p.base.prob} vs ${wantBase}`);
    assert.ok(Math.abs(Math.log(p.tuned!.prob) - Math.log(wantTuned)) < 1e-4, `tuned ${p.tuned!.prob} vs ${wantTuned}`);
    assert.notEqual(p.base.prob, p.tuned!.prob, 'the adapter changes the probability');
    assert.ok(Math.abs(r.durationSec - samples.length / 16000) < 1e-9);
  } finally {
    runner.dispose();
  }
  const after = readdirSync(tmpdir()).filter((f) => f.startsWith('vt-try-') && !before.has(f) && !f.startsWith('vt-try-test-'));
  assert.deepEqual(after, [], 'the utterance file is deleted');
});
