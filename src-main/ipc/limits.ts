/**
 * @file The API's size and rate limits, in one place: the validator checks arguments against them,
 * `vocab-tuner serve` sizes its WebSocket frames and connection budget from them, and the renderer
 * refuses a file that is too large before reading or sending it. Runtime-neutral (no Node APIs):
 * the renderer imports this file too. README's security section lists the same numbers.
 */

/** Whisper's window: no clip may be longer (the store refuses longer ones with AUDIO_TOO_LONG). */
export const MAX_CLIP_SECONDS = 30;

export const LIMITS = {
  /**
   * An audio file dropped on the Dataset page (`clips.import`). 48 MiB holds 30 s of 192 kHz
   * stereo 32-bit float WAV (46 MB), far beyond any real clip; a larger file cannot be ≤ 30 s of
   * speech in any format we read.
   */
  importBytes: 48 * 1024 * 1024,
  /** Samples in one recorded take (`clips.save`): 30 s at 192 kHz, plus a second of slack. */
  recordSamples: 192_000 * (MAX_CLIP_SECONDS + 1),
  /**
   * One WebSocket message: the largest import as base64 (4/3 of its size) plus 1 MiB for the JSON
   * around it. Larger frames are refused by the socket (close code 1009) before they are buffered.
   */
  messageBytes: Math.ceil((48 * 1024 * 1024 * 4) / 3) + 1024 * 1024,
  /**
   * JSON structure in one message ({ [ , and backslashes counted before parsing): the largest
   * legitimate call (pre-labelling 100 000 clip ids) has ~100 000; a message of millions of tiny
   * objects would block the serving loop for seconds in JSON.parse, so it is refused unparsed.
   */
  jsonNodes: 200_000,
  /** Open API connections (browser tabs) at once. */
  connections: 8,
  /** Calls one connection may have waiting for their answer at once; more get BUSY. */
  inFlightPerConnection: 16,
  /** Calls per second one connection may make (a sliding one-second window); more get BUSY. */
  callsPerSecond: 200,
} as const;
