/**
 * Plays a stored clip (16 kHz mono PCM from `clips.audio`) through a throwaway AudioContext.
 * `onEnd` runs when playback finishes; the context is closed then so none pile up.
 */
import { call } from './api.ts';

export async function playClip(id: number, onEnd: () => void): Promise<void> {
  const { pcm, sampleRate } = await call('clips.audio', id);
  const ctx = new AudioContext();
  const buf = ctx.createBuffer(1, pcm.length, sampleRate);
  buf.copyToChannel(new Float32Array(pcm), 0);
  const src = ctx.createBufferSource();
  src.buffer = buf;
  src.connect(ctx.destination);
  src.onended = () => {
    onEnd();
    void ctx.close();
  };
  src.start();
}
