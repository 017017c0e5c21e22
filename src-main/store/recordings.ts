/**
 * Recordings: one row per clip, pointing at a 16 kHz mono PCM16 WAV under the data directory.
 * The file is written (atomically, see audio-files.ts) before the row commits, and read back
 * through a checksum check.
 *
 * Clips longer than 30 s are rejected, not split: Whisper trains on ≤ 30 s windows, and cutting a
 * clip at silences would also need its transcript cut at the same words, which needs an alignment
 * we do not have at import time. The user splits the audio and text together instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeWav, encodeWavPcm16 } from '../audio/wav.ts';
import type { Db } from './db.ts';
import { StoreError } from './errors.ts';
import { readAudioVerified, sha256Hex, writeAudioAtomic } from './audio-files.ts';
import { nowIso, type Store } from './store.ts';
import { checkTranscript, type TranscriptSource } from './transcripts.ts';

export const STORE_SAMPLE_RATE = 16000;
export const MAX_CLIP_SECONDS = 30;

export type RecordingSource = 'recorded' | 'imported';
export type Split = 'train' | 'validation' | 'test' | 'general';

export type Recording = {
  id: number;
  projectId: number;
  promptId: number | null;
  /** Relative to the data directory, forward slashes. */
  file: string;
  sha256: string;
  durationS: number;
  sampleRate: number;
  nSamples: number;
  source: RecordingSource;
  sourceName: string | null;
  createdAt: string;
};

/** A recording as listed: with its current transcript and split (null when not yet assigned). */
export type RecordingListItem = Recording & { transcript: string | null; transcriptSource: TranscriptSource | null; edited: boolean; split: Split | null };

/** A validated clip ready to store: its canonical WAV bytes and their checksum. */
export type PreparedClip = { wav: Uint8Array; sha256: string; nSamples: number; durationS: number };

/** Validate 16 kHz mono samples and encode them canonically. `name` is for error messages. */
export function prepareClip(samples: Float32Array, name: string): PreparedClip {
  if (samples.length === 0) {
    throw new StoreError('AUDIO_EMPTY', `${name}: the audio is empty (0 samples). Record or choose a clip with speech in it.`);
  }
  const durationS = samples.length / STORE_SAMPLE_RATE;
  if (durationS > MAX_CLIP_SECONDS) {
    throw new StoreError(
      'AUDIO_TOO_LONG',
      `${name}: the clip is ${durationS.toFixed(1)} s long; clips must be at most ${MAX_CLIP_SECONDS} s (Whisper's window). Long clips are rejected, not split, because the transcript would need splitting at the same words: cut the audio and its text into shorter pieces and import them again.`,
    );
  }
  const wav = encodeWavPcm16(samples, STORE_SAMPLE_RATE);
  return { wav, sha256: sha256Hex(wav), nSamples: samples.length, durationS };
}

const COLS = `r.id, r.project_id AS projectId, r.prompt_id AS promptId, r.file, r.sha256, r.duration_s AS durationS,
  r.sample_rate AS sampleRate, r.n_samples AS nSamples, r.source, r.source_name AS sourceName, r.created_at AS createdAt`;

export type NewRecording = {
  clip: PreparedClip;
  file: string;
  promptId?: number | null;
  transcript?: { text: string; source: TranscriptSource } | null;
  source: RecordingSource;
  sourceName?: string | null;
};

/** Insert rows for clips whose files are already on disk, all or nothing. Returns the new ids. */
export function insertRecordings(db: Db, projectId: number, items: NewRecording[]): number[] {
  const ins = db.prepare(
    `INSERT INTO recordings (project_id, prompt_id, file, sha256, duration_s, sample_rate, n_samples, source, source_name, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insT = db.prepare('INSERT INTO transcripts (recording_id, text, source, edited, updated_at) VALUES (?, ?, ?, 0, ?)');
  return db.transaction(() => {
    const now = nowIso();
    return items.map((it) => {
      const r = ins.run(projectId, it.promptId ?? null, it.file, it.clip.sha256, it.clip.durationS, STORE_SAMPLE_RATE, it.clip.nSamples, it.source, it.sourceName ?? null, now);
      const id = Number(r.lastInsertRowid);
      if (it.transcript) insT.run(id, checkTranscript(it.transcript.text, it.sourceName ?? `clip ${id}`), it.transcript.source, now);
      return id;
    });
  })();
}

export function findBySha(db: Db, projectId: number, sha256: string): Recording | undefined {
  return db.prepare(`SELECT ${COLS} FROM recordings r WHERE r.project_id = ? AND r.sha256 = ?`).get(projectId, sha256) as Recording | undefined;
}

export type SaveInput = {
  /** 16 kHz mono samples in [-1, 1]. */
  samples: Float32Array;
  promptId?: number | null;
  transcript?: { text: string; source: TranscriptSource } | null;
  source?: RecordingSource;
  sourceName?: string | null;
};

/** Store one clip: validate, write the file durably, then commit the row (+ transcript). */
export function saveRecording(store: Store, projectId: number, input: SaveInput): Recording {
  const name = input.sourceName ?? 'recording';
  const clip = prepareClip(input.samples, name);
  if (input.transcript) checkTranscript(input.transcript.text, name);
  const dup = findBySha(store.db, projectId, clip.sha256);
  if (dup) throw new StoreError('RECORDING_DUPLICATE', `${name}: this exact audio is already stored as clip ${dup.id}.`);
  const { file } = writeAudioAtomic(store.dataDir, clip.wav);
  const [id] = insertRecordings(store.db, projectId, [
    { clip, file, promptId: input.promptId, transcript: input.transcript, source: input.source ?? 'recorded', sourceName: input.sourceName },
  ]);
  return getRecording(store.db, id);
}

export function getRecording(db: Db, id: number): Recording {
  const r = db.prepare(`SELECT ${COLS} FROM recordings r WHERE r.id = ?`).get(id) as Recording | undefined;
  if (!r) throw new StoreError('NOT_FOUND', `There is no clip with id ${id}.`);
  return r;
}

export type RecordingFilter = { split?: Split | 'unassigned'; promptId?: number; search?: string; limit?: number; offset?: number };

/** A project's clips, oldest first, with transcript and split. One indexed query. */
export function listRecordings(db: Db, projectId: number, f: RecordingFilter = {}): RecordingListItem[] {
  const where = ['r.project_id = ?'];
  const args: unknown[] = [projectId];
  if (f.split === 'unassigned') where.push('s.split IS NULL');
  else if (f.split) {
    where.push('s.split = ?');
    args.push(f.split);
  }
  if (f.promptId !== undefined) {
    where.push('r.prompt_id = ?');
    args.push(f.promptId);
  }
  if (f.search) {
    where.push('instr(t.text, ?) > 0');
    args.push(f.search);
  }
  args.push(f.limit ?? -1, f.offset ?? 0);
  const rows = db
    .prepare(
      `SELECT ${COLS}, t.text AS transcript, t.source AS transcriptSource, coalesce(t.edited, 0) AS edited, s.split
       FROM recordings r LEFT JOIN transcripts t ON t.recording_id = r.id LEFT JOIN splits s ON s.recording_id = r.id
       WHERE ${where.join(' AND ')} ORDER BY r.created_at, r.id LIMIT ? OFFSET ?`,
    )
    .all(...args) as (Omit<RecordingListItem, 'edited'> & { edited: number })[];
  for (const r of rows) (r as unknown as RecordingListItem).edited = r.edited === 1;
  return rows as unknown as RecordingListItem[];
}

/** The clip's WAV bytes, checksum-verified. */
export function readRecordingBytes(store: Store, rec: Pick<Recording, 'file' | 'sha256'>): Uint8Array {
  return readAudioVerified(store.dataDir, rec.file, rec.sha256);
}

/** The clip's samples (16 kHz mono), checksum-verified. */
export function readRecordingSamples(store: Store, rec: Pick<Recording, 'file' | 'sha256'>): Float32Array {
  return decodeWav(readRecordingBytes(store, rec), rec.file).channels[0];
}

/**
 * Delete a clip the user chose to delete. The row goes first (commit), then the file if no other
 * row (another project) uses it; a crash in between leaves an orphan for doctor, never a row
 * pointing at nothing.
 */
export function deleteRecording(store: Store, id: number): void {
  const rec = getRecording(store.db, id);
  store.db.prepare('DELETE FROM recordings WHERE id = ?').run(id);
  const still = store.db.prepare('SELECT 1 FROM recordings WHERE file = ?').get(rec.file);
  if (!still) fs.rmSync(path.join(store.dataDir, rec.file), { force: true });
}
