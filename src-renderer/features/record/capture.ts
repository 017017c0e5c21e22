/**
 * @file Lossless capture of a take: the microphone's float PCM through an AudioWorklet
 * (pcm-capture.worklet.js), at the device's own sample rate, every channel. The take stored is
 * these samples (downmixed, trimmed), resampled to 16 kHz by the back end's resampler; no lossy
 * codec in between, as Piper's recording studio and Common Voice keep PCM. The same audio graph
 * feeds the level meter's analyser.
 */
import workletUrl from './pcm-capture.worklet.js?url';

export interface Capture {
  /** The rate the samples are captured at (the device's, when the browser reports it). */
  sampleRate: number;
  /** Channels the device delivers (averaged to mono for the take). */
  channels: number;
  /** For the level meter. */
  analyser: AnalyserNode;
  /** Stops capturing; resolves with the mono take at `sampleRate`. */
  stop(): Promise<Float32Array>;
}

/**
 * The constraints for a training-data take: the voice as the microphone hears it. Echo
 * cancellation, noise suppression and automatic gain would reshape it (and differently on every
 * machine), which is not what Whisper will hear from the same microphone later.
 */
export function rawAudioConstraints(deviceId: string | null): MediaTrackConstraints {
  return { ...(deviceId ? { deviceId: { exact: deviceId } } : {}), echoCancellation: false, noiseSuppression: false, autoGainControl: false };
}

export async function startCapture(stream: MediaStream): Promise<Capture> {
  const track = stream.getAudioTracks()[0];
  const settings = track?.getSettings() ?? {};
  // Opened at the device's rate, the context does not resample what the microphone delivers.
  const ctx = new AudioContext(settings.sampleRate ? { sampleRate: settings.sampleRate } : {});
  await ctx.audioWorklet.addModule(workletUrl);
  const source = ctx.createMediaStreamSource(stream);
  const channels = Math.max(1, settings.channelCount ?? source.channelCount);
  const node = new AudioWorkletNode(ctx, 'pcm-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: channels, channelCountMode: 'explicit', channelInterpretation: 'discrete' });
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(node);
  source.connect(analyser);
  const blocks: Float32Array[][] = [];
  let finished: (() => void) | null = null;
  node.port.onmessage = (e: MessageEvent<{ channels?: Float32Array[]; done?: boolean }>) => {
    if (e.data.channels) blocks.push(e.data.channels);
    if (e.data.done) finished?.();
  };
  return {
    sampleRate: ctx.sampleRate,
    channels,
    analyser,
    async stop() {
      source.disconnect();
      await new Promise<void>((resolve) => {
        finished = resolve;
        node.port.postMessage('flush');
      });
      node.disconnect();
      await ctx.close();
      return downmix(blocks);
    },
  };
}

/** Concatenates the posted blocks and averages their channels: [blocks][channels][frames] → mono. */
export function downmix(blocks: Float32Array[][]): Float32Array {
  const n = blocks.reduce((s, b) => s + (b[0]?.length ?? 0), 0);
  const out = new Float32Array(n);
  let at = 0;
  for (const b of blocks) {
    const len = b[0]?.length ?? 0;
    for (let i = 0; i < len; i++) {
      let s = 0;
      for (const ch of b) s += ch[i];
      out[at + i] = s / b.length;
    }
    at += len;
  }
  return out;
}

/** A 32-bit float WAV of the take, for playback and the trim view (exactly the stored samples). */
export function wavUrl(pcm: Float32Array, sampleRate: number): string {
  const bytes = new ArrayBuffer(44 + pcm.length * 4);
  const v = new DataView(bytes);
  const put = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  put(0, 'RIFF');
  v.setUint32(4, 36 + pcm.length * 4, true);
  put(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 3, true); // IEEE float
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 4, true);
  v.setUint16(32, 4, true);
  v.setUint16(34, 32, true);
  put(36, 'data');
  v.setUint32(40, pcm.length * 4, true);
  new Float32Array(bytes, 44).set(pcm);
  return URL.createObjectURL(new Blob([bytes], { type: 'audio/wav' }));
}
