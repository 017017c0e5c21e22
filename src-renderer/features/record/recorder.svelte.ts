/**
 * @file The microphone side of the Record page as reactive state: the take's state machine
 * (idle → starting → recording → review → saving), the input level meter, the microphone list
 * and permission, the captured take with its suggested trim, and errors that say what to do.
 * The page supplies the waveform view (live drawing and review) and the sentence to save.
 */
import { call, describe } from '../../lib/api.ts';
import { analyseTake, applyTrim, meterLevel, type TakeAnalysis } from '../../lib/take.ts';
import { startCapture, wavUrl, type Capture } from './capture.ts';

export type RecorderPhase = 'idle' | 'starting' | 'recording' | 'review' | 'saving';

/** What the recorder needs from the waveform component (Waveform.svelte). */
export interface TakeView {
  startLive(deviceId: string | null): Promise<MediaStream>;
  stopLive(): void;
  review(url: string, trim: { start: number; end: number }): void;
  destroy(): void;
}

export interface Take {
  pcm: Float32Array;
  sampleRate: number;
  /** A WAV object URL of the take, for the review waveform and playback. */
  url: string;
  analysis: TakeAnalysis;
}

const DENIED_MESSAGE =
  'Microphone access is blocked for Vocab Tuner. Allow the microphone for this page (the browser’s site settings, or your system’s privacy settings), then press Record again.';

export class Recorder {
  phase = $state<RecorderPhase>('idle');
  /** Input level 0–1 while recording, and seconds since the take started. */
  level = $state(0);
  elapsed = $state(0);
  denied = $state(false);
  error = $state.raw<unknown>(null);
  devices = $state.raw<MediaDeviceInfo[]>([]);
  deviceId = $state<string | null>(null);
  /** What the microphone delivers, shown once it has been opened. */
  device = $state.raw<{ sampleRate: number; channels: number } | null>(null);
  take = $state.raw<Take | null>(null);
  /** The part of the take to keep (seconds); starts at the detected speech plus padding. */
  trim = $state({ start: 0, end: 0 });
  readonly deniedMessage = DENIED_MESSAGE;

  #view: () => TakeView;
  #capture: Capture | null = null;
  #stopMeter: (() => void) | null = null;

  constructor(view: () => TakeView) {
    this.#view = view;
  }

  /** True while a take is being started, recorded or saved (navigation waits). */
  get busy(): boolean {
    return this.phase === 'recording' || this.phase === 'starting' || this.phase === 'saving';
  }

  async loadDevices(): Promise<void> {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    this.devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audioinput');
  }

  async checkPermission(): Promise<void> {
    try {
      const st = await navigator.permissions.query({ name: 'microphone' as PermissionName });
      this.denied = st.state === 'denied';
      st.onchange = () => (this.denied = st.state === 'denied');
    } catch {
      /* Permissions API without 'microphone' (older engines): we learn it from getUserMedia */
    }
  }

  async record(): Promise<void> {
    if (this.busy) return;
    this.error = null;
    this.discard();
    this.phase = 'starting';
    try {
      const stream = await this.#view().startLive(this.deviceId);
      this.denied = false;
      const capture = await startCapture(stream);
      this.#capture = capture;
      this.device = { sampleRate: capture.sampleRate, channels: capture.channels };
      this.#startMeter(capture.analyser);
      this.phase = 'recording';
      void this.loadDevices(); // labels appear once permission is granted
    } catch (e) {
      this.phase = 'idle';
      this.#view().destroy();
      const name = (e as DOMException)?.name;
      // wavesurfer's Record plugin rethrows getUserMedia's DOMException as a plain Error.
      if (name === 'NotAllowedError' || name === 'SecurityError' || /permission denied|not allowed/i.test(describe(e))) this.denied = true;
      else if (name === 'NotFoundError' || name === 'OverconstrainedError') this.error = new Error('No microphone was found. Connect one, or pick another in the list above.');
      else this.error = new Error(`The microphone could not start: ${describe(e)}`);
    }
  }

  async stop(): Promise<void> {
    if (this.phase !== 'recording') return;
    this.#stopMeter?.();
    const c = this.#capture!;
    this.#capture = null;
    try {
      // The worklet's float samples at the device rate: no codec between the microphone and the take.
      const pcm = await c.stop();
      this.#view().stopLive();
      const analysis = analyseTake(pcm, c.sampleRate);
      this.take = { pcm, sampleRate: c.sampleRate, url: wavUrl(pcm, c.sampleRate), analysis };
      this.trim = analysis.trim;
      this.phase = 'review';
      this.#view().review(this.take.url, this.trim);
    } catch (e) {
      this.phase = 'idle';
      this.#view().stopLive();
      this.error = new Error(`The recording could not be captured: ${describe(e)}. Re-record.`);
    }
  }

  /** Drops the take under review (its object URL is released). */
  discard(): void {
    if (this.take) URL.revokeObjectURL(this.take.url);
    this.take = null;
  }

  /** Back to idle with nothing on screen (after a save, or when moving to another prompt). */
  reset(): void {
    this.discard();
    this.#view().destroy();
    this.phase = 'idle';
  }

  /**
   * Saves the trimmed take with its transcript; resolves true when it was stored. Without a
   * transcript it refuses with a sentence saying why (the transcript is what Whisper learns).
   */
  async save(promptId: number | null, transcript: string): Promise<boolean> {
    const take = this.take;
    if (this.phase !== 'review' || !take) return false;
    if (!transcript) {
      this.error = new Error('Type what you said first: the transcript is what Whisper learns.');
      return false;
    }
    this.phase = 'saving';
    try {
      const pcm = applyTrim(take.pcm, take.sampleRate, this.trim);
      await call('clips.save', { promptId, transcript, pcm, sampleRate: take.sampleRate });
      this.reset();
      return true;
    } catch (e) {
      this.phase = 'review';
      this.error = e;
      return false;
    }
  }

  dispose(): void {
    this.#stopMeter?.();
    this.discard();
  }

  #startMeter(an: AnalyserNode): void {
    const block = new Float32Array(an.fftSize);
    const t0 = performance.now();
    let raf = 0;
    const tick = () => {
      an.getFloatTimeDomainData(block);
      this.level = meterLevel(block);
      this.elapsed = (performance.now() - t0) / 1000;
      raf = requestAnimationFrame(tick);
    };
    tick();
    this.#stopMeter = () => {
      cancelAnimationFrame(raf);
      this.level = 0;
      this.#stopMeter = null;
    };
  }
}
