import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasTool, speak, speakMany } from './speech.ts';
import { decodeWav } from '../../src-main/audio/wav.ts';
import { clipStats, findSpeechBounds } from '../../src-main/audio/trim.ts';

const noEspeak = !hasTool('espeak-ng') && 'needs espeak-ng on PATH (apt-get install espeak-ng)';

test('hasTool looks on PATH', () => {
  assert.equal(hasTool('node') || hasTool('node.exe'), true);
  assert.equal(hasTool('surely-not-a-real-tool-xyz'), false);
});

test('speak writes a 16 kHz mono PCM16 clip of plausible length whose speech VAD finds', { skip: noEspeak }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-speech-'));
  try {
    const file = path.join(dir, 'sub', 'kube.wav');
    await speak('Kubernetes and PyTorch run on CUDA.', file);
    const bytes = readFileSync(file);
    assert.equal(bytes.readUInt16LE(22), 1, 'mono');
    assert.equal(bytes.readUInt16LE(34), 16, '16-bit');
    const { sampleRate, channels } = decodeWav(bytes, 'kube.wav');
    assert.equal(sampleRate, 16000);
    const x = channels[0];
    const { durationSec, peak, rms } = clipStats(x, sampleRate);
    // six words at 160 wpm plus espeak's sentence pause: about 2.7 s
    assert.ok(durationSec > 1.2 && durationSec < 5, `duration ${durationSec}`);
    assert.ok(peak > 0.05 && peak <= 1 && rms > 0.01, `peak ${peak} rms ${rms}`);
    const { start, end } = findSpeechBounds(x, sampleRate);
    assert.ok(end > start, 'speech found');
    assert.ok((end - start) / sampleRate > 0.7 * durationSec - 0.3, `speech ${start}..${end} of ${x.length}`);
    assert.deepEqual(readdirSync(path.dirname(file)), ['kube.wav'], 'no temp files left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('speakMany writes a batch in order; slower speech is longer', { skip: noEspeak }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-speech-'));
  try {
    const text = '-v is not an option here, it is text.';
    const files = await speakMany(
      [
        { name: 'slow', text, speed: 110 },
        { name: 'fast.wav', text, speed: 260, voice: 'en-gb' },
        { name: 'short', text: 'Yes.' },
      ],
      dir,
    );
    assert.deepEqual(files.map((f) => path.basename(f)), ['slow.wav', 'fast.wav', 'short.wav']);
    const len = files.map((f) => decodeWav(readFileSync(f)).channels[0].length);
    assert.ok(len[0] > len[1] * 1.5, `slow ${len[0]} vs fast ${len[1]}`);
    assert.ok(len[2] < len[1], 'one word is shortest');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
