/**
 * Energy voice-activity detection for Try it: finds where an utterance starts and ends in a live
 * stream, so the user presses once, speaks, and stops talking. Runtime-neutral (no DOM, no Node
 * APIs): the renderer runs it on microphone blocks and `vocab-tuner try --mic` on arecord/sox
 * output.
 *
 * A 20 ms frame is speech when its energy is above both an absolute floor (-45 dBFS) and the
 * running noise floor + 12 dB (the floor follows non-speech frames, so a noisy room raises the
 * bar). An utterance
 *  - may only start after 0.2 s of non-speech ("armed"), so listening that begins mid-sentence
 *    does not cut a word in half;
 *  - starts after 0.1 s of speech, with 0.3 s of audio before it kept (soft onsets);
 *  - ends after 0.7 s of non-speech (keeping 0.3 s of it), or at 30 s (Whisper's window).
 */
export interface VadOptions {
  frameSec: number;
  floorDb: number;
  marginDb: number;
  armSec: number;
  startSec: number;
  hangSec: number;
  preRollSec: number;
  tailSec: number;
  maxSec: number;
}

export const DEFAULT_VAD: VadOptions = { frameSec: 0.02, floorDb: -45, marginDb: 12, armSec: 0.2, startSec: 0.1, hangSec: 0.7, preRollSec: 0.3, tailSec: 0.3, maxSec: 30 };

export type VadState = 'waiting' | 'armed' | 'speech' | 'done';
export type VadEvent = { type: 'start' } | { type: 'end'; pcm: Float32Array; reason: 'silence' | 'max' };

/** Energy of a frame in dBFS (mean square; -120 for digital silence). */
export function frameDb(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return 10 * Math.log10(s / Math.max(1, x.length) + 1e-12);
}

export class EnergyVad {
  state: VadState = 'waiting';
  /** Energy of the last frame, dBFS (for a level meter). */
  levelDb = -120;
  private readonly o: VadOptions;
  private readonly frame: number;
  private partial: Float32Array;
  private fill = 0;
  private noiseDb: number;
  private quiet = 0;
  private loud = 0;
  /** Frames of the utterance (in 'armed': the pre-roll ring). */
  private frames: Float32Array[] = [];

  constructor(readonly sampleRate: number, opts: Partial<VadOptions> = {}) {
    this.o = { ...DEFAULT_VAD, ...opts };
    this.frame = Math.max(1, Math.round(this.o.frameSec * sampleRate));
    this.partial = new Float32Array(this.frame);
    this.noiseDb = this.o.floorDb - this.o.marginDb;
  }

  private count(sec: number): number {
    return Math.max(1, Math.round(sec / this.o.frameSec));
  }

  /** Feeds samples; returns what happened (at most one start and one end). */
  push(samples: Float32Array): VadEvent[] {
    const events: VadEvent[] = [];
    let i = 0;
    while (i < samples.length && this.state !== 'done') {
      const n = Math.min(this.frame - this.fill, samples.length - i);
      this.partial.set(samples.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill < this.frame) break;
      const e = this.onFrame(this.partial.slice());
      this.fill = 0;
      if (e) events.push(e);
    }
    return events;
  }

  /** The stop key: the utterance so far, or null when none has started. */
  stop(): Float32Array | null {
    const had = this.state === 'speech';
    this.state = 'done';
    return had ? concat(this.frames) : null;
  }

  private onFrame(f: Float32Array): VadEvent | null {
    const db = frameDb(f);
    this.levelDb = db;
    const speech = db > Math.max(this.o.floorDb, this.noiseDb + this.o.marginDb);
    if (!speech) this.noiseDb = 0.95 * this.noiseDb + 0.05 * db;
    if (this.state === 'waiting') {
      this.quiet = speech ? 0 : this.quiet + 1;
      if (this.quiet >= this.count(this.o.armSec)) this.state = 'armed';
      return null;
    }
    if (this.state === 'armed') {
      this.frames.push(f);
      this.loud = speech ? this.loud + 1 : 0;
      const keep = this.count(this.o.preRollSec) + this.loud;
      if (this.frames.length > keep) this.frames.splice(0, this.frames.length - keep);
      if (this.loud >= this.count(this.o.startSec)) {
        this.state = 'speech';
        this.quiet = 0;
        return { type: 'start' };
      }
      return null;
    }
    this.frames.push(f);
    this.quiet = speech ? 0 : this.quiet + 1;
    if (this.quiet >= this.count(this.o.hangSec)) {
      this.state = 'done';
      const drop = this.quiet - this.count(this.o.tailSec);
      return { type: 'end', pcm: concat(this.frames.slice(0, this.frames.length - Math.max(0, drop))), reason: 'silence' };
    }
    if (this.frames.length * this.frame >= this.o.maxSec * this.sampleRate) {
      this.state = 'done';
      return { type: 'end', pcm: concat(this.frames), reason: 'max' };
    }
    return null;
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
