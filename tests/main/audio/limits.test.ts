/**
 * Header plausibility before decoding (issue 11, problem 3): lying WAV and FLAC headers are
 * refused with AUDIO_* codes in milliseconds, and a FLAC of constant frames stops at the clip
 * limit instead of expanding to gigabytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWav, parseWavHeader } from '../../../src-main/audio/wav.ts';
import { decodeFlac, parseFlacHeader } from '../../../src-main/audio/flac.ts';
import { decodeAudioBytes } from '../../../src-main/audio/load.ts';
import { AUDIO_LIMITS, checkAudioHeader } from '../../../src-main/audio/limits.ts';
import { flacConstantBomb, wavWithHeader } from '../../helpers/hostile-audio.ts';

const clip = { maxSeconds: AUDIO_LIMITS.clipSeconds };

function refusedQuickly(fn: () => unknown, code: string, ms = 50): void {
  const t = performance.now();
  assert.throws(fn, (e: any) => e.code === code);
  const took = performance.now() - t;
  assert.ok(took < ms, `refused in ${took.toFixed(1)} ms, want < ${ms}`);
}

test('a 2 KB WAV claiming 1 Hz, or 2^32−1 Hz, is refused from the header', () => {
  const oneHz = wavWithHeader({ sampleRate: 1, dataBytes: 2000 });
  refusedQuickly(() => decodeWav(oneHz, 'one-hz.wav'), 'AUDIO_RATE_UNSUPPORTED');
  refusedQuickly(() => parseWavHeader(wavWithHeader({ sampleRate: 0xffffffff, dataBytes: 2000 }), 'max.wav'), 'AUDIO_RATE_UNSUPPORTED');
  refusedQuickly(() => parseWavHeader(wavWithHeader({ sampleRate: 768_000, dataBytes: 2000 }), 'fast.wav'), 'AUDIO_RATE_UNSUPPORTED');
  // The message says what the header claimed and what is accepted.
  assert.throws(() => decodeWav(oneHz, 'one-hz.wav'), /1 Hz; recordings are 8–384 kHz/);
});

test('more than 8 channels is refused from the header', () => {
  refusedQuickly(() => parseWavHeader(wavWithHeader({ sampleRate: 16000, channels: 9, dataBytes: 18 * 100 }), 'nine.wav'), 'AUDIO_CHANNELS_UNSUPPORTED');
  assert.doesNotThrow(() => parseWavHeader(wavWithHeader({ sampleRate: 16000, channels: 8, dataBytes: 16 * 100 }), 'eight.wav'));
});

test('a WAV longer than 30 s is refused before decoding when a clip is asked for, decoded otherwise', () => {
  const long = wavWithHeader({ sampleRate: 8000, dataBytes: 8000 * 2 * 31 });
  refusedQuickly(() => decodeWav(long, 'long.wav', clip), 'AUDIO_TOO_LONG', 20);
  assert.equal(decodeWav(long, 'long.wav').channels[0].length, 8000 * 31, 'long-form transcription still reads it');
  assert.equal(decodeWav(wavWithHeader({ sampleRate: 8000, dataBytes: 8000 * 2 * 30 }), 'thirty.wav', clip).channels[0].length, 240_000);
});

test('a FLAC whose STREAMINFO claims hours is refused from the header', () => {
  const bomb = flacConstantBomb({ sampleRate: 8000, frames: 3, totalSamples: 3 * 65536 * 1000 });
  refusedQuickly(() => parseFlacHeader(bomb, 'hours.flac', clip), 'AUDIO_TOO_LONG');
  refusedQuickly(() => parseFlacHeader(flacConstantBomb({ sampleRate: 1, frames: 1, totalSamples: 0 }), 'slow.flac'), 'AUDIO_RATE_UNSUPPORTED');
});

test('a 40 KB FLAC of constant frames with an unknown length stops at the clip limit, without gigabytes', () => {
  // 3000 frames × 65 536 samples = 197 M samples (6.8 hours at 8 kHz) in 39 kB.
  const bomb = flacConstantBomb({ sampleRate: 8000, frames: 3000, totalSamples: 0 });
  assert.ok(bomb.length < 40_000);
  const rss0 = process.memoryUsage().rss;
  const t = performance.now();
  assert.throws(() => decodeFlac(bomb, 'bomb.flac', clip), (e: any) => e.code === 'AUDIO_TOO_LONG');
  const took = performance.now() - t;
  const grew = (process.memoryUsage().rss - rss0) / 1e6;
  assert.ok(took < 500, `stopped after ${took.toFixed(0)} ms`);
  assert.ok(grew < 100, `RSS grew ${grew.toFixed(0)} MB`);
  // A short one with the same construction decodes: the frames are valid FLAC.
  const ok = decodeFlac(flacConstantBomb({ sampleRate: 8000, frames: 2, totalSamples: 0 }), 'two.flac', clip);
  assert.equal(ok.channels[0].length, 2 * 65536);
  assert.ok(Math.abs(ok.channels[0][100] - 1000 / 32768) < 1e-9);
});

test('decodeAudioBytes passes the clip limit to every format, and checkAudioHeader is usable on its own', async () => {
  await assert.rejects(decodeAudioBytes(wavWithHeader({ sampleRate: 8000, dataBytes: 8000 * 2 * 31 }), 'long.wav', clip), (e: any) => e.code === 'AUDIO_TOO_LONG');
  await assert.rejects(decodeAudioBytes(flacConstantBomb({ sampleRate: 8000, frames: 3000, totalSamples: 0 }), 'bomb.flac', clip), (e: any) => e.code === 'AUDIO_TOO_LONG');
  assert.throws(() => checkAudioHeader({ sampleRate: 48000, channels: 2, bitsPerSample: 16, frames: 48000 * 31 }, 'x.mp3', clip), (e: any) => e.code === 'AUDIO_TOO_LONG');
  assert.throws(() => checkAudioHeader({ sampleRate: 48000, channels: 2, bitsPerSample: 0, frames: null }, 'x.mp3'), (e: any) => e.code === 'AUDIO_BITS_UNSUPPORTED');
  assert.doesNotThrow(() => checkAudioHeader({ sampleRate: 48000, channels: 2, bitsPerSample: 16, frames: null }, 'x.mp3', clip));
});
