/**
 * The optional fallback for compressed files the in-process WebAssembly decoders (compressed.ts)
 * cannot read (e.g. Speex in Ogg, a codec inside WebM/MP4 they do not cover): hand them to `sox` or
 * `ffmpeg` when one is installed. Nothing needs these tools for the usual formats. The tool only decodes, to 32-bit float WAV at the file's own rate and channel
 * count; resampling and downmixing stay in our code so every format goes through the same filter.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.ts';

/** Absolute path of an executable found on PATH (PATHEXT-aware on Windows), or null. */
export function findExecutable(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here; keep looking
      }
    }
  }
  return null;
}

export type ExternalTool = 'sox' | 'ffmpeg';

/** sox's name for each container we may hand it (sox cannot read MP4/WebM at all). */
const SOX_TYPES: Record<string, string | undefined> = { flac: 'flac', mp3: 'mp3', ogg: 'ogg', aiff: 'aiff' };

/** Which installed tool can decode `format`, preferring sox (smaller, common on Linux), or null. */
export function pickTool(format: string): { tool: ExternalTool; exe: string } | null {
  if (SOX_TYPES[format]) {
    const sox = findExecutable('sox');
    if (sox) return { tool: 'sox', exe: sox };
  }
  const ffmpeg = findExecutable('ffmpeg');
  return ffmpeg ? { tool: 'ffmpeg', exe: ffmpeg } : null;
}

function runTool(exe: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4000) stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

/**
 * Decode `bytes` (a `format` file, as sniffed) to the bytes of a float WAV file using sox or
 * ffmpeg. Throws AUDIO_FORMAT_UNSUPPORTED when neither is installed and AUDIO_DECODE_FAILED when
 * the tool rejects the file. `name` is only used in messages.
 */
export async function decodeWithTool(bytes: Uint8Array, format: string, name: string): Promise<Uint8Array> {
  const picked = pickTool(format);
  if (!picked) {
    const need = SOX_TYPES[format] ? 'sox or ffmpeg' : 'ffmpeg';
    throw new UserError(
      'AUDIO_FORMAT_UNSUPPORTED',
      `${name}: ${format.toUpperCase()} audio needs ${need} to decode, and neither was found on PATH. Convert the file to WAV, or install ${need === 'ffmpeg' ? 'ffmpeg' : 'sox (with libsox-fmt-all) or ffmpeg'}.`,
    );
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'vocab-tuner-audio-'));
  try {
    const input = path.join(dir, `input.${format}`);
    const output = path.join(dir, 'output.wav');
    await writeFile(input, bytes);
    // Write to a file, not a pipe: through a pipe the tools cannot patch the WAV sizes afterwards.
    const args =
      picked.tool === 'sox'
        ? ['-q', '-t', SOX_TYPES[format]!, input, '-t', 'wav', '-e', 'floating-point', '-b', '32', output]
        : ['-nostdin', '-v', 'error', '-y', '-i', input, '-vn', '-f', 'wav', '-acodec', 'pcm_f32le', output];
    const { code, stderr } = await runTool(picked.exe, args);
    if (code !== 0) {
      const why = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`;
      throw new UserError('AUDIO_DECODE_FAILED', `${name}: ${picked.tool} could not decode this ${format.toUpperCase()} file (${why.replaceAll(input, name)}). The file may be damaged; try re-exporting it as WAV.`);
    }
    return new Uint8Array(await readFile(output));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
