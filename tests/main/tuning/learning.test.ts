/**
 * An honest learning test on generated speech: tune the fixture model with LoRA on espeak-ng
 * sentences containing "PyTorch" (plus control sentences), then on HELD-OUT clips
 *  - the teacher-forced log-prob of " Py", "Tor", "ch" must rise by a clear margin, and
 *  - with distillation on, control transcripts must move less than with no regulariser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src-main/compute/backend.ts';
import { loadWhisper } from '../../../src-main/whisper/load.ts';
import { decodedForm, probeTranscript } from '../../../src-main/whisper/probe.ts';
import { loadAudio } from '../../../src-main/audio/load.ts';
import { logMelSpectrogram, padOrTrim } from '../../../src-main/audio/mel.ts';
import { applyAdapterDir } from '../../../src-main/tuning/apply-adapter.ts';
import { defaultConfig, tune } from '../../../src-main/tuning/trainer.ts';
import type { Regularizer } from '../../../src-main/tuning/regularizers.ts';
import { hasTool } from '../../helpers/speech.ts';
import { CONTROL_HELDOUT, TERM_HELDOUT, makeTermDataset } from '../../helpers/term-dataset.ts';
import { MICRO_F32, NEEDS_REFERENCE } from '../../helpers/reference.ts';

const skip = NEEDS_REFERENCE || (!hasTool('espeak-ng') && 'needs espeak-ng (apt-get install espeak-ng)');

/** Mean over held-out clips of (sum of the term's token log-probs) and of whole-transcript log-probs. */
async function measure(dataDir: string, adapter: string | null): Promise<{ term: number; control: number[]; pieces: string[] }> {
  const w = await loadWhisper(MICRO_F32);
  if (adapter) w.model = (await applyAdapterDir(w, adapter, 1)).model;
  const score = async (file: string, text: string) => {
    const mel = logMelSpectrogram(padOrTrim(await loadAudio(join(dataDir, file))), 80);
    const audio = tf.tidy(() => w.model.encode(tf.tensor3d(mel.data, [1, 80, mel.nFrames])));
    const p = await probeTranscript(w.model, w.tokenizer, audio, decodedForm(text), { terms: ['PyTorch'], topK: 1 });
    audio.dispose();
    return p;
  };
  let term = 0;
  let pieces: string[] = [];
  for (const [i, t] of TERM_HELDOUT.entries()) {
    const p = await score(`term-test-${i}.wav`, t);
    term += p.terms[0].logprob / TERM_HELDOUT.length;
    pieces = p.terms[0].tokens;
  }
  const control: number[] = [];
  for (const [i, t] of CONTROL_HELDOUT.entries()) control.push((await score(`control-test-${i}.wav`, t)).total_logprob);
  w.model.dispose();
  return { term, control, pieces };
}

async function train(dataDir: string, regularizer: Regularizer): Promise<string> {
  const c = defaultConfig();
  Object.assign(c, { steps: 40, batchSize: 4, lr: 5e-3, warmupSteps: 4, regularizer, regWeight: regularizer === 'none' ? 0 : 2, evalDecode: false, terms: ['PyTorch'], seed: 1 });
  c.augment = { ...c.augment, variants: 1 };
  const out = mkdtempSync(join(tmpdir(), `vt-learn-${regularizer}-`));
  await tune({ modelDir: MICRO_F32, dataDir, outDir: out, config: c });
  return join(out, 'adapter');
}

test('LoRA learns "PyTorch" on held-out speech; distillation limits drift on control sentences', { skip, timeout: 30 * 60_000 }, async () => {
  await initBackend('wasm');
  const data = await makeTermDataset(mkdtempSync(join(tmpdir(), 'vt-learn-data-')));
  const base = await measure(data, null);
  assert.deepEqual(base.pieces, [' Py', 'Tor', 'ch']);
  const plain = await measure(data, await train(data, 'none'));
  const distilled = await measure(data, await train(data, 'distill'));
  const drift = (m: { control: number[] }) => m.control.reduce((s, v, i) => s + Math.abs(v - base.control[i]), 0) / m.control.length;
  console.log(`term log-prob of " Py"+"Tor"+"ch" on held-out clips: base ${base.term.toFixed(3)} → tuned ${plain.term.toFixed(3)} (no regulariser), ${distilled.term.toFixed(3)} (distillation)`);
  console.log(`mean |Δ log-prob| of held-out control transcripts: no regulariser ${drift(plain).toFixed(3)}, distillation ${drift(distilled).toFixed(3)}`);
  assert.ok(plain.term - base.term > 2, `term log-prob rose only ${(plain.term - base.term).toFixed(3)}`);
  assert.ok(distilled.term - base.term > 1, `with distillation the term log-prob rose only ${(distilled.term - base.term).toFixed(3)}`);
  assert.ok(drift(distilled) < drift(plain), 'distillation must move control transcripts less than no regulariser');
});
