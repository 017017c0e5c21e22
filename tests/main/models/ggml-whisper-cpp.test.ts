/**
 * The ggml export run through whisper.cpp itself: its loader checks every tensor's name, type and
 * size, and a transcription exercises mel filters, vocab and weights together. whisper.cpp is not
 * in Debian 12; build it with `node scripts/build-whisper-cpp.mjs` (sources from the npm registry)
 * or point WHISPER_CPP_CLI at a whisper-cli binary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportGgml } from '../../../src-main/models/ggml.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const shared = path.resolve(repoRoot, '../shared');
const MODEL = path.join(shared, 'reference/models/whisper-micro-en-f16');
const GOLDEN = path.join(shared, 'reference/golden/whisper-micro-en-f16');
const WAV = path.join(shared, 'reference/audio/jfk-16k.wav');

function findWhisperCli(): string | null {
  const candidates = [process.env.WHISPER_CPP_CLI, path.join(repoRoot, '.tmp/whisper.cpp/bin/whisper-cli')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  try {
    return execFileSync('which', ['whisper-cli'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const cli = findWhisperCli();
const skip = !existsSync(MODEL)
  ? 'needs ../shared/reference (not in a fresh clone)'
  : !cli
    ? 'needs whisper.cpp: run `node scripts/build-whisper-cpp.mjs` or set WHISPER_CPP_CLI'
    : false;

test('whisper.cpp loads the f16 ggml export and its first token is one the reference model ranks top-5', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vt-wcpp-'));
  try {
    const model = path.join(dir, 'ggml-micro-f16.bin');
    await exportGgml(MODEL, model, { type: 'f16' });
    // Greedy, no timestamps, no fallback: [sot, notimestamps] as in the golden prefix. (Not -sns:
    // whisper.cpp's non-speech regex pass is slow and the reference has no suppression.)
    const args = ['-m', model, '-f', WAV, '-t', '1', '-l', 'en', '-nt', '-bs', '1', '-bo', '1', '-nf', '-ojf', '-of', path.join(dir, 'out')];
    const stderr = await new Promise<string>((resolve, reject) =>
      execFile(cli!, args, { timeout: 120_000, maxBuffer: 16 << 20 }, (err, _out, errText) => (err ? reject(new Error(`whisper-cli failed: ${err.message}\n${errText}`)) : resolve(errText))),
    );
    // Our hparams, as whisper.cpp read them.
    for (const line of ['n_vocab       = 51864', 'n_audio_ctx   = 1500', 'n_audio_state = 64', 'n_text_layer  = 2', 'n_mels        = 80', 'ftype         = 1']) {
      assert.ok(stderr.includes(line), `whisper.cpp reports ${line}`);
    }
    const out = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as { transcription: { tokens: { id: number; text: string }[] }[] };
    const tokens = out.transcription.flatMap((s) => s.tokens).filter((t) => t.id < 50256);
    assert.ok(tokens.length > 0, 'whisper.cpp produced text tokens');

    // Token texts come from the vocab section we wrote.
    const vocab = JSON.parse(readFileSync(path.join(MODEL, 'vocab.json'), 'utf8')) as Record<string, number>;
    const byId = new Map(Object.entries(vocab).map(([k, v]) => [v, k.replace(/Ġ/g, ' ')]));
    for (const t of tokens) if (/^[ -~]+$/.test(byId.get(t.id)!)) assert.equal(t.text, byId.get(t.id), `token ${t.id}`);

    // The weights are random, so the text is noise; but the first token must be one the
    // upstream PyTorch model (golden logits, row 1 = after [sot, notimestamps]) ranks near the
    // top. Its margins are ~0.1 logit, within whisper.cpp's f16 arithmetic, so top-5, not top-1.
    const logits = readFileSync(path.join(GOLDEN, 'logits.f32'));
    const V = 51864;
    const row = Array.from({ length: V }, (_, i) => logits.readFloatLE(4 * (V + i)));
    const top5 = [...row.keys()].sort((a, b) => row[b] - row[a]).slice(0, 5);
    const first = out.transcription[0].tokens[0].id;
    assert.ok(top5.includes(first), `first token ${first} is not in the reference top-5 ${top5}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
