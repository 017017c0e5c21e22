/**
 * The energy VAD on real speech (espeak-ng) in microphone-sized blocks: one utterance found, its
 * edges within the pre-roll / tail of the speech, nothing found in silence or noise, listening
 * that starts mid-sentence waits for the next one, and the stop key returns what was heard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeWav } from '../../../src-main/audio/wav.ts';
import { EnergyVad, frameDb, type VadEvent } from '../../../src-main/audio/vad.ts';
import { hasTool, speak } from '../../helpers/speech.ts';

const SR = 16000;
const silence = (sec: number) => new Float32Array(Math.round(sec * SR));
/** Deterministic low-level hiss (about -55 dBFS). */
const hiss = (sec: number) => {
  let s = 7;
  return new Float32Array(Math.round(sec * SR)).map(() => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.006);
};
const cat = (...xs: Float32Array[]) => {
  const out = new Float32Array(xs.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of xs) {
    out.set(x, at);
    at += x.length;
  }
  return out;
};
/** Feeds `x` in 4096-sample blocks (a ScriptProcessor's size) and collects the events. */
function run(vad: EnergyVad, x: Float32Array): VadEvent[] {
  const ev: VadEvent[] = [];
  for (let i = 0; i < x.length; i += 4096) ev.push(...vad.push(x.subarray(i, i + 4096)));
  return ev;
}

test('one spoken sentence between pauses is one utterance, edges kept', { skip: !hasTool('espeak-ng') && 'needs espeak-ng' }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-vad-'));
  try {
    await speak('I train my models in PyTorch.', path.join(dir, 's.wav'));
    const speech = decodeWav(new Uint8Array(readFileSync(path.join(dir, 's.wav')))).channels[0];
    const ev = run(new EnergyVad(SR), cat(hiss(1), speech, hiss(2)));
    assert.deepEqual(ev.map((e) => e.type), ['start', 'end']);
    const end = ev[1] as Extract<VadEvent, { type: 'end' }>;
    assert.equal(end.reason, 'silence');
    // espeak pads its output a little; the utterance is the speech ± pre-roll (0.3 s) and tail (0.3 s).
    const sec = end.pcm.length / SR;
    assert.ok(sec > speech.length / SR - 0.4 && sec < speech.length / SR + 0.7, `utterance ${sec.toFixed(2)} s vs speech ${(speech.length / SR).toFixed(2)} s`);
    assert.ok(frameDb(end.pcm) > -40, 'the utterance holds the speech');

    // Listening that starts in the middle of a sentence waits for the next one.
    const half = speech.subarray(Math.floor(speech.length / 2));
    const vad = new EnergyVad(SR);
    const ev2 = run(vad, cat(half, silence(0.5), speech, silence(1.5)));
    const end2 = ev2.find((e) => e.type === 'end') as Extract<VadEvent, { type: 'end' }>;
    assert.ok(end2.pcm.length > speech.length * 0.8, 'the whole second sentence, not the half');

    // The stop key during speech returns the audio so far; before any speech, nothing.
    const v3 = new EnergyVad(SR);
    run(v3, cat(silence(0.5), speech.subarray(0, SR)));
    assert.equal(v3.state, 'speech');
    const got = v3.stop()!;
    assert.ok(got.length > 0.8 * SR && got.length < 1.4 * SR, `stop returned ${got.length / SR} s`);
    const v4 = new EnergyVad(SR);
    run(v4, silence(1));
    assert.equal(v4.stop(), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('silence and steady hiss never start an utterance; 30 s of speech ends at the limit', () => {
  assert.deepEqual(run(new EnergyVad(SR), cat(silence(3), hiss(3))), []);
  // A loud steady tone: starts, then the 30 s cap ends it.
  const tone = new Float32Array(32 * SR).map((_, i) => 0.2 * Math.sin((2 * Math.PI * 220 * i) / SR));
  const ev = run(new EnergyVad(SR), cat(silence(0.5), tone));
  assert.deepEqual(ev.map((e) => e.type), ['start', 'end']);
  const end = ev[1] as Extract<VadEvent, { type: 'end' }>;
  assert.equal(end.reason, 'max');
  assert.ok(Math.abs(end.pcm.length / SR - 30) < 0.05);
});
