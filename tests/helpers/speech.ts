/**
 * Synthetic speech for tests: espeak-ng says a sentence, and our own resampler turns its 22.05 kHz
 * output into the 16 kHz mono PCM16 WAV the app records (so sox is not needed). The voice is
 * robotic but real speech-shaped audio, good enough to exercise VAD, the mel front end and
 * end-to-end transcription plumbing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SAMPLE_RATE } from '../../src-main/audio/constants.ts';
import { findExecutable } from '../../src-main/audio/external-decoder.ts';
import { downmix, resample } from '../../src-main/audio/resample.ts';
import { decodeWav, encodeWavPcm16 } from '../../src-main/audio/wav.ts';

export type SpeakOptions = {
  /** espeak-ng voice, default 'en-us'. */
  voice?: string;
  /** Words per minute, default 160 (espeak-ng's default is 175; slower is clearer). */
  speed?: number;
};

/** Whether an executable is on PATH (for `test(..., { skip: !hasTool('espeak-ng') && '...' })`). */
export function hasTool(name: string): boolean {
  return findExecutable(name) !== null;
}

function run(exe: string, args: string[], stdin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(exe)} exited with ${code}: ${stderr.trim()}`))));
    child.stdin.end(stdin);
  });
}

/**
 * Speak `text` into `outWav` (16 kHz mono PCM16). The file appears atomically (temp + rename), so a
 * parallel reader never sees half a file. Text goes through stdin, so it may start with '-'.
 */
export async function speak(text: string, outWav: string, opts: SpeakOptions = {}): Promise<void> {
  const exe = findExecutable('espeak-ng');
  if (!exe) throw new Error('speak(): espeak-ng is not on PATH (apt-get install espeak-ng); tests should skip with hasTool("espeak-ng")');
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const raw = `${outWav}.espeak-${tag}.wav`;
  const tmp = `${outWav}.tmp-${tag}`;
  await mkdir(path.dirname(path.resolve(outWav)), { recursive: true });
  try {
    await run(exe, ['-v', opts.voice ?? 'en-us', '-s', String(opts.speed ?? 160), '--stdin', '-w', raw], text);
    const { sampleRate, channels } = decodeWav(new Uint8Array(await readFile(raw)), raw);
    const mono = downmix(channels);
    await writeFile(tmp, encodeWavPcm16(resample(mono, sampleRate, SAMPLE_RATE), SAMPLE_RATE));
    await rename(tmp, outWav);
  } finally {
    await rm(raw, { force: true });
    await rm(tmp, { force: true });
  }
}

export type SpeechItem = SpeakOptions & {
  /** File name inside `dir` ('.wav' is appended when missing). */
  name: string;
  text: string;
};

/**
 * Speak a batch of sentences into `dir`, two at a time (test machines are small). Returns the
 * written paths in input order.
 */
export async function speakMany(items: SpeechItem[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out = items.map((it) => path.join(dir, it.name.endsWith('.wav') ? it.name : `${it.name}.wav`));
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await speak(items[i].text, out[i], items[i]);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}
