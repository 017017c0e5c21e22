// The real model behind runComparison, checked against the lead's own entry points on the
// fixture model: ModelRunner's transcript must equal transcribeSamples' and its probe must equal
// probeTranscript's, under the base model, a decoder-only PEFT adapter (encoder output reused) and
// a merged folder and its blends (encoder recomputed); the base and the merged folder are each read
// from disk once however often the comparison moves between them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadAudio } from '../../../src-main/audio/load.ts';
import { logMelSpectrogram, padOrTrim } from '../../../src-main/audio/mel.ts';
import { ModelRunner, withEta } from '../../../src-main/eval/run-models.ts';
import type { DecodeSettings } from '../../../src-main/eval/compare.ts';
import type { EvalClip } from '../../../src-main/eval/eval-set.ts';
import { applyAdapterDir } from '../../../src-main/tuning/apply-adapter.ts';
import { writePeftPairs, type HostLoraPair } from '../../../src-main/tuning/peft.ts';
import { checkpointReads } from '../../../src-main/whisper/checkpoint.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { decodedForm, probeTranscript } from '../../../src-main/whisper/probe.ts';
import { writeRandomCheckpoint } from '../../../src-main/whisper/random-checkpoint.ts';
import { transcribeSamples } from '../../../src-main/whisper/transcribe.ts';
import { JFK_TEXT, JFK_WAV, MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

const MAX_TOKENS = 6; // the fixture is random-weight: a few tokens show agreement, 224 only cost time
const clip: EvalClip = { id: 'jfk.wav', audioPath: JFK_WAV, reference: JFK_TEXT.trim(), set: 'heldout', split: 'test' };
const base: DecodeSettings = { model: MICRO_F32, adapter: null, adapterScale: 0, prompt: null };

/** The lead's whole-file transcription on a freshly loaded model (+ adapter). */
async function reference(adapter: string | null, prompt: string | null, scale = 1): Promise<string> {
  const w = await loadWhisper(MICRO_F32);
  const model = adapter ? (await applyAdapterDir(w, adapter, scale)).model : w.model;
  const t = (await transcribeSamples(model, w.tokenizer, await loadAudio(JFK_WAV), { language: 'en', temperatures: [0], sampleLen: MAX_TOKENS, initialPrompt: prompt ?? undefined }));
  w.model.dispose();
  return t.text;
}

/** The lead's probe on a freshly loaded model: log-probs of the tokens of "Americans". */
async function referenceProbe(adapter: string | null): Promise<number[]> {
  const w = await loadWhisper(MICRO_F32);
  const model = adapter ? (await applyAdapterDir(w, adapter, 1)).model : w.model;
  const mel = logMelSpectrogram(padOrTrim(await loadAudio(JFK_WAV)), 80);
  const audio = tf.tidy(() => model.encode(tf.tensor3d(mel.data, [1, 80, mel.nFrames])));
  const p = await probeTranscript(model, w.tokenizer, audio, decodedForm(JFK_TEXT), { terms: ['Americans'] });
  audio.dispose();
  w.model.dispose();
  return p.terms[0].tokenIndices.map((i) => p.tokens[i].logprob);
}

/** A decoder-only LoRA with random matrices, large enough to change the logits. */
async function writeDecoderLora(dir: string): Promise<string> {
  const w = await loadWhisper(MICRO_F32);
  const dims = w.checkpoint.dims;
  w.model.dispose();
  let s = 7;
  const rnd = (n: number) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2);
  const d = dims.nTextState, r = 4;
  const pairs = new Map<string, HostLoraPair>();
  for (const m of ['model.decoder.layers.0.self_attn.q_proj', 'model.decoder.layers.1.encoder_attn.v_proj']) {
    pairs.set(m, { A: { shape: [r, d], data: rnd(r * d) }, B: { shape: [d, r], data: rnd(d * r) }, scaling: 2 });
  }
  await writePeftPairs(pairs, { rank: r, alpha: 2 * r, dropout: 0, useRslora: false, dims }, dir, { baseModel: MICRO_F32 });
  return dir;
}

test('ModelRunner: transcripts and probes equal the lead\'s functions; the base encoder output is reused for decoder-only adapters', { skip: NEEDS_REFERENCE, timeout: 10 * 60_000 }, async (t) => {
  await initBackend('wasm');
  const tmp = mkdtempSync(path.join(tmpdir(), 'vt-runner-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const lora = await writeDecoderLora(path.join(tmp, 'lora'));
  const merged = path.join(tmp, 'merged');
  await writeRandomCheckpoint(merged, { tokenizerDir: MICRO_F32, seed: 5 }); // a full folder of the same size
  const expect = {
    base: await reference(null, null),
    prompted: await reference(null, 'PyTorch, CUDA'),
    lora: await reference(lora, null),
    merged: await reference(merged, null),
    mergedHalf: await reference(merged, null, 0.5),
    probeBase: await referenceProbe(null),
    probeLora: await referenceProbe(lora),
  };
  assert.notEqual(expect.lora, expect.base, 'the test adapter must change the transcript, or the comparison below proves nothing');

  assert.notEqual(expect.mergedHalf, expect.merged, 'the half blend must differ from the merged model, or the blend check proves nothing');
  const readsBefore = { base: checkpointReads(MICRO_F32), merged: checkpointReads(merged) };
  const runner = await ModelRunner.open(MICRO_F32, { maxTokens: MAX_TOKENS });
  try {
    assert.deepEqual(await runner.prepareAdapters([lora, merged]), [lora, merged]);
    await assert.rejects(runner.prepareAdapters([path.join(tmp, 'nope')]), { code: 'ADAPTER_NOT_FOUND' });
    await assert.rejects(runner.prepareAdapters([tmp]), { code: 'ADAPTER_INVALID' }); // exists, holds neither form
    const withLora: DecodeSettings = { ...base, adapter: lora, adapterScale: 1 };
    const withMerged: DecodeSettings = { ...base, adapter: merged, adapterScale: 1 };

    assert.equal(await runner.transcribe(clip, base), expect.base);
    assert.equal(await runner.transcribe(clip, { ...base, prompt: 'PyTorch, CUDA' }), expect.prompted);
    assert.deepEqual({ runs: runner.stats.encoderRuns, hits: runner.stats.encoderCacheHits }, { runs: 1, hits: 1 });

    assert.equal(await runner.transcribe(clip, withLora), expect.lora);
    assert.equal(runner.stats.encoderRuns, 1, 'a decoder-only LoRA must reuse the base encoder output');
    const probes = await runner.probe(clip, withLora, ['Americans']);
    assert.equal(probes.length, 1);
    assert.equal(probes[0].tokens.map((t) => t.text).join(''), ' Americans');
    probes[0].tokens.forEach((t, i) => assert.ok(Math.abs(t.logprob - expect.probeLora[i]) < 1e-4, `LoRA probe token ${i}: ${t.logprob} vs ${expect.probeLora[i]}`));
    assert.ok(probes[0].firstTokenTop.length === 5 && probes[0].firstTokenTop[0].logprob >= probes[0].firstTokenTop[4].logprob);

    // Scale 0 is the base model exactly.
    assert.equal(await runner.transcribe(clip, { ...withLora, adapterScale: 0 }), expect.base);

    const runsBefore = runner.stats.encoderRuns;
    assert.equal(await runner.transcribe(clip, withMerged), expect.merged);
    assert.equal(runner.stats.encoderRuns, runsBefore + 1, 'a merged folder changes the encoder: recomputed');

    // Leaving the merged setting drops its state: the base again, bit for bit, without a reload.
    assert.equal(await runner.transcribe(clip, base), expect.base);
    const baseProbe = await runner.probe(clip, base, ['Americans']);
    baseProbe[0].tokens.forEach((t, i) => assert.ok(Math.abs(t.logprob - expect.probeBase[i]) < 1e-4, `base probe token ${i}`));
    // Blends of the same folder, in and out of the base and the LoRA: still no read from disk.
    assert.equal(await runner.transcribe(clip, { ...withMerged, adapterScale: 0.5 }), expect.mergedHalf);
    assert.equal(await runner.transcribe(clip, withLora), expect.lora);
    assert.equal(await runner.transcribe(clip, withMerged), expect.merged);
    assert.equal(await runner.transcribe(clip, base), expect.base);
    assert.equal(runner.stats.decodes, 10);
    assert.deepEqual(
      { base: checkpointReads(MICRO_F32) - readsBefore.base, merged: checkpointReads(merged) - readsBefore.merged },
      { base: 1, merged: 1 },
      'comparing base, tuned and blends reads each checkpoint once',
    );
  } finally {
    runner.dispose();
  }
});

test('withEta adds elapsed time and a linear ETA to runComparison progress', () => {
  let t = 1000;
  const seen: { etaSec: number; elapsedSec: number }[] = [];
  const cb = withEta((p) => seen.push(p), () => t);
  t = 5000; // 4 s for the first 2 of 10 → 16 s to go
  cb({ label: 'base', done: 2, total: 10 });
  assert.deepEqual(seen, [{ label: 'base', done: 2, total: 10, elapsedSec: 4, etaSec: 16 }]);
});
