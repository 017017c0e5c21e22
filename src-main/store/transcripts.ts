/**
 * Transcripts: the text a clip should produce. One current transcript per clip; `source` is where
 * the text came from and `edited` is set once a person has changed it, so the UI can show which
 * labels are checked by a human.
 */
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { nowIso } from './store.ts';
import { unsafeTextProblem } from '../util/text-safety.ts';

export type TranscriptSource = 'typed' | 'prompt' | 'base_model' | 'import';

export type Transcript = { recordingId: number; text: string; source: TranscriptSource; edited: boolean; updatedAt: string };

/**
 * Whisper's decoder holds 448 tokens, about 1 500 characters of English; a 30 s clip holds ~100
 * words. 2 000 characters leaves room for long words and still catches a whole document pasted
 * into a label (the 10 MB transcript case).
 */
export const MAX_TRANSCRIPT_CHARS = 2000;

/**
 * Validate and normalise a transcript: trimmed, one line, within the size limit, and free of NUL,
 * control characters and bidirectional overrides (TRANSCRIPT_INVALID: they are invisible, so a
 * label could look right and train on something else). Tabs and line breaks become spaces.
 */
export function checkTranscript(text: string, where: string): string {
  const problem = unsafeTextProblem(text, 'the transcript');
  if (problem) throw new StoreError('TRANSCRIPT_INVALID', `${where}: ${problem}.`);
  if (text.length > MAX_TRANSCRIPT_CHARS) {
    throw new StoreError(
      'TRANSCRIPT_TOO_LONG',
      `${where}: the transcript is ${text.length.toLocaleString('en')} characters; a clip of at most 30 s needs at most ${MAX_TRANSCRIPT_CHARS}. Check that the right text belongs to this clip.`,
    );
  }
  // Line breaks carry no meaning to Whisper; keep the words, one line.
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/\t/g, ' ').trim();
}

export function getTranscript(db: Db, recordingId: number): Transcript | undefined {
  const r = db
    .prepare('SELECT recording_id AS recordingId, text, source, edited, updated_at AS updatedAt FROM transcripts WHERE recording_id = ?')
    .get(recordingId) as (Omit<Transcript, 'edited'> & { edited: number }) | undefined;
  return r && { ...r, edited: r.edited === 1 };
}

/**
 * Set a clip's transcript. A 'typed' text that differs from the stored one marks it edited; the
 * flag stays set afterwards (a human has looked at it).
 */
export function setTranscript(db: Db, recordingId: number, text: string, source: TranscriptSource): Transcript {
  const clean = checkTranscript(text, `clip ${recordingId}`);
  const cur = getTranscript(db, recordingId);
  const edited = cur?.edited || (cur !== undefined && source === 'typed' && cur.text !== clean);
  db.prepare(
    `INSERT INTO transcripts (recording_id, text, source, edited, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (recording_id) DO UPDATE SET text = excluded.text, source = excluded.source, edited = excluded.edited, updated_at = excluded.updated_at`,
  ).run(recordingId, clean, source, edited ? 1 : 0, nowIso());
  return getTranscript(db, recordingId)!;
}

/**
 * Stores the base model's transcripts of some clips (pre-labelling), in one transaction. Clips
 * deleted meanwhile are skipped; what a person typed meanwhile is kept unless `overwriteTyped`
 * (they asked for exactly these clips to be transcribed again). Returns how many were stored.
 */
export function storePrelabels(db: Db, labels: readonly { id: number; text: string }[], opts: { overwriteTyped: boolean }): number {
  let n = 0;
  db.transaction(() => {
    const exists = db.prepare('SELECT 1 FROM recordings WHERE id = ?');
    for (const { id, text } of labels) {
      if (!text || !exists.get(id)) continue; // nothing heard, or deleted while the job ran
      const cur = getTranscript(db, id);
      const typed = cur && cur.text.trim() !== '' && cur.source !== 'base_model';
      if (typed && !opts.overwriteTyped) continue;
      setTranscript(db, id, text, 'base_model');
      n++;
    }
  })();
  return n;
}
