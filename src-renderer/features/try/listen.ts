/**
 * @file Listening for one utterance on the microphone: raw blocks go through the energy VAD
 * (`src-main/audio/vad.ts`, the same code the CLI's --mic uses), which ends the utterance when the
 * speaker stops; `stop()` ends it at once (the stop key), `cancel()` drops it.
 *
 * Blocks come from a ScriptProcessorNode: deprecated, but it needs no separate worklet module
 * (which the app's CSP and the two build setups would each have to serve) and its 4096-sample
 * latency (~90 ms) is irrelevant when we wait for 0.7 s of silence anyway.
 */
import { EnergyVad } from '../../../src-main/audio/vad.ts';

export interface Utterance {
  pcm: Float32Array;
  sampleRate: number;
  reason: 'silence' | 'max' | 'stopped';
}

export interface Listening {
  /** Resolves with the utterance, or null when cancelled / stopped before any speech. */
  done: Promise<Utterance | null>;
  stop(): void;
  cancel(): void;
}

export interface ListenEvents {
  /** dBFS of the latest 20 ms frame, for the level meter. */
  level(db: number): void;
  /** Speech detected: the utterance has begun. */
  speaking(): void;
}

export async function listen(deviceId: string | undefined, on: ListenEvents): Promise<Listening> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: deviceId ? { exact: deviceId } : undefined, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const ctx = new AudioContext();
  const src = ctx.createMediaStreamSource(stream);
  const node = ctx.createScriptProcessor(4096, 1, 1);
  const sink = ctx.createGain();
  sink.gain.value = 0; // the processor must reach the destination to run; keep it silent
  const vad = new EnergyVad(ctx.sampleRate);
  let finish!: (u: Utterance | null) => void;
  const done = new Promise<Utterance | null>((resolve) => (finish = resolve));
  let closed = false;
  const close = (u: Utterance | null) => {
    if (closed) return;
    closed = true;
    node.onaudioprocess = null;
    src.disconnect();
    node.disconnect();
    stream.getTracks().forEach((t) => t.stop());
    void ctx.close();
    finish(u);
  };
  node.onaudioprocess = (e) => {
    for (const ev of vad.push(e.inputBuffer.getChannelData(0))) {
      if (ev.type === 'start') on.speaking();
      else close({ pcm: ev.pcm, sampleRate: ctx.sampleRate, reason: ev.reason });
    }
    on.level(vad.levelDb);
  };
  src.connect(node);
  node.connect(sink);
  sink.connect(ctx.destination);
  return {
    done,
    stop: () => {
      const pcm = vad.stop();
      close(pcm ? { pcm, sampleRate: ctx.sampleRate, reason: 'stopped' } : null);
    },
    cancel: () => close(null),
  };
}

/** A dropped audio file → mono samples at the decoder's rate (the back end resamples to 16 kHz). */
export async function decodeFile(file: File): Promise<Utterance> {
  const ctx = new AudioContext();
  try {
    const buf = await ctx.decodeAudioData(await file.arrayBuffer());
    const pcm = new Float32Array(buf.length);
    for (let c = 0; c < buf.numberOfChannels; c++) {
      const ch = buf.getChannelData(c);
      for (let i = 0; i < ch.length; i++) pcm[i] += ch[i] / buf.numberOfChannels;
    }
    return { pcm, sampleRate: buf.sampleRate, reason: 'stopped' };
  } finally {
    void ctx.close();
  }
}
