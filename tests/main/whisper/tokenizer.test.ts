import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WhisperTokenizer } from '../../../src-main/whisper/tokenizer.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = path.resolve(repoRoot, '../shared/reference');
const tokDir = path.join(shared, 'tokenizer');
const skip = !existsSync(tokDir) && 'needs ../shared/reference (not in a fresh clone)';

type Manifest = {
  n_vocab: number;
  special_ids: Record<string, number>;
  sot_sequence_en: number[];
  sot_sequence_including_notimestamps: number[];
  non_speech_tokens: number[];
  encodings: { text: string; ids: number[]; pieces: string[] }[];
};
const manifest = (): Manifest => JSON.parse(readFileSync(path.join(shared, 'manifest.json'), 'utf8')).tokenizer;

test('the 16 reference phrases encode to exactly the reference ids and pieces', { skip }, async () => {
  const tok = await WhisperTokenizer.fromDir(tokDir);
  const m = manifest();
  assert.equal(m.encodings.length, 16);
  for (const e of m.encodings) {
    assert.deepEqual(tok.encode(e.text), e.ids, JSON.stringify(e.text));
    // Pieces that are whole characters decode to the reference piece exactly.
    e.ids.forEach((id, i) => {
      if (!e.pieces[i].includes('\ufffd')) assert.equal(tok.tokenText(id), e.pieces[i]);
    });
    assert.equal(tok.decode(e.ids), e.text);
  }
});

test('special ids, languages and sot sequences match the reference (English-only layout)', { skip }, async () => {
  const tok = await WhisperTokenizer.fromDir(tokDir);
  const m = manifest();
  const s = m.special_ids;
  assert.deepEqual(tok.special, {
    eot: s['<|endoftext|>'],
    sot: s['<|startoftranscript|>'],
    sotPrev: s['<|startofprev|>'],
    noSpeech: s['<|nospeech|>'],
    noTimestamps: s['<|notimestamps|>'],
    transcribe: s['<|transcribe|>'],
    translate: s['<|translate|>'],
    timestampBegin: s['<|0.00|>'],
    sotLm: s['<|startoflm|>'],
  });
  assert.equal(tok.special.eot, 50256);
  assert.equal(tok.isMultilingual, false);
  assert.equal(tok.vocabSize, m.n_vocab);
  assert.equal(tok.languages.length, 99);
  assert.equal(tok.languageId('de'), s['<|de|>']);
  assert.equal(tok.languageId('<|he|>'), s['<|he|>']);
  assert.equal(tok.languageId('iw'), s['<|he|>']);
  assert.throws(() => tok.languageId('xx'), { code: 'UNKNOWN_LANGUAGE' });
  assert.deepEqual(tok.sotSequence({ timestamps: true }), m.sot_sequence_en);
  assert.deepEqual(tok.sotSequence(), m.sot_sequence_including_notimestamps);
  assert.deepEqual(tok.sotSequence({ language: 'en', task: 'transcribe' }), m.sot_sequence_including_notimestamps);
  assert.throws(() => tok.sotSequence({ language: 'de' }), { code: 'LANGUAGE_UNSUPPORTED' });
  assert.throws(() => tok.sotSequence({ task: 'translate' }), { code: 'TASK_UNSUPPORTED' });
  assert.equal(tok.idToToken(9485), 'ĠPy');
  assert.equal(tok.tokenToId('ĠPy'), 9485);
});

test('decodes the tiny.en integration vector (spec §4), with and without special tokens', { skip }, async () => {
  const tok = await WhisperTokenizer.fromDir(tokDir);
  const ids = [50257, 50362, 464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 50256];
  assert.equal(
    tok.decode(ids),
    '<|startoftranscript|><|notimestamps|>The quick brown fox jumps over the lazy dog.<|endoftext|>',
  );
  assert.equal(tok.decode(ids, { skipSpecial: true }), 'The quick brown fox jumps over the lazy dog.');
  // Timestamps are dropped by default (OW decode) and kept on request (decode_with_timestamps).
  const ts = [tok.special.timestampBegin, 464, 2068, tok.special.timestampBegin + 50];
  assert.equal(tok.decode(ts), 'The quick');
  assert.equal(tok.decode(ts, { timestamps: true }), '<|0.00|>The quick<|1.00|>');
  // A character split over two tokens decodes whole when the tokens are decoded together.
  assert.equal(tok.decode([50169, 235]), ' 👍');
});

test('non-speech tokens match openai/whisper non_speech_tokens exactly', { skip }, async () => {
  const tok = await WhisperTokenizer.fromDir(tokDir);
  assert.deepEqual(tok.nonSpeechTokens(), manifest().non_speech_tokens);
});

test('a folder without tokenizer.json gives an error naming it', async () => {
  await assert.rejects(WhisperTokenizer.fromDir(path.join(repoRoot, 'src-main')), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'CHECKPOINT_INVALID');
    assert.match(e.message, /tokenizer\.json/);
    return true;
  });
});
