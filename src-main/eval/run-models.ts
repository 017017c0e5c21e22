/**
 * The real Whisper behind `runComparison`: the base weights loaded once per process, each (adapter,
 * scale) setting a state over them (whisper/weights.ts) — base, tuned and blends never reload
 * anything from disk, and an adapter folder is read once whatever scales it is used at — and the
 * clip's encoder output reused wherever the encoder is the base one.
 *
 * Why the encoder cache pays: runComparison decodes every clip once per configuration (base,
 * base + prompt, tuned, tuned + prompt, three sweep scales) and probes the term clips per row, so
 * one clip meets the encoder up to ~10 times. A PEFT adapter on decoder modules only (the default
 * LoRA) leaves the encoder untouched, so every one of those runs can reuse the base encoder output.
 * A merged folder or an adapter with encoder modules changes it: recomputed per setting.
 *
 * Two encoder inputs exist per clip, on purpose, because each must match its upstream counterpart:
 *  - "window": what transcription sees (upstream transcribe.py pads the MEL with zeros to 3000
 *    frames; our `transcribeSamples` does the same), so a compare transcript equals
 *    `vocab-tuner transcribe` of the clip;
 *  - "probe": what training and `vocab-tuner probe` see (the AUDIO padded to 30 s, then the mel).
 *
 * Decoding is greedy at temperature 0 without the sampling fallback by default: a comparison must
 * be deterministic so that a difference between rows comes from the models, not from sampling.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { N_FRAMES, N_SAMPLES, SAMPLE_RATE } from '../audio/constants.ts';
import { loadAudio } from '../audio/load.ts';
import { logMelSpectrogram, padOrTrim } from '../audio/mel.ts';
import { UserError } from '../util/errors.ts';
import { eta } from '../util/time.ts';
import { adapterState, readAdapter, type AdapterSource, type AppliedAdapter } from '../tuning/apply-adapter.ts';
import { loadWhisper, type LoadedWhisper } from '../whisper/load.ts';
import type { WhisperModel } from '../whisper/model.ts';
import { decodedForm, probeTranscript } from '../whisper/probe.ts';
import { decodeWithFallback, melWindow, transcribeSamples, type TranscribeOptions } from '../whisper/transcribe.ts';
import { termProbesFromProbeResult, type CompareProgress, type DecodeSettings, type ProbeFn, type TranscribeFn } from './compare.ts';
import type { EvalClip } from './eval-set.ts';
import { englishNormalizer } from './normalize-english.ts';
import type { Normaliser } from './grid.ts';

export type ModelRunnerOptions = {
  /** Decoding language (default "en": the normalised scores use Whisper's English normaliser). */
  language?: string;
  /** Beam search width; default greedy. */
  beamSize?: number;
  /** Temperatures tried in order (default [0]: deterministic, see the file comment). */
  temperatures?: number[];
  /** Most tokens decoded per window (default 224, upstream's n_text_ctx / 2). */
  maxTokens?: number;
  /** Top-k competitors recorded per probed token (default 5). */
  topK?: number;
  /** Host memory for cached base encoder outputs (default 1 GiB); clips beyond it are re-encoded. */
  cacheBytes?: number;
};

/** An adapter folder read and checked once, before any decoding (so a bad folder fails early). */
type AdapterInfo = { source: AdapterSource; touchesEncoder: boolean };

type FeatureKind = 'window' | 'probe';

/** Counters for tests and the CLI's summary line. */
export type RunnerStats = {
  decodes: number;
  probes: number;
  encoderRuns: number;
  encoderCacheHits: number;
  /** Probes not run: clip over 30 s or transcript longer than the decoder's context. */
  probesSkipped: number;
};

export class ModelRunner {
  readonly stats: RunnerStats = { decodes: 0, probes: 0, encoderRuns: 0, encoderCacheHits: 0, probesSkipped: 0 };
  private readonly adapters = new Map<string, AdapterInfo>();
  private readonly cache = new Map<string, Float32Array>();
  private cachedBytes = 0;
  /** The adapter setting in use; null = the base as loaded. */
  private current: { key: string; info: AdapterInfo; applied: AppliedAdapter; model: WhisperModel } | null = null;
  private readonly o: Required<ModelRunnerOptions>;

  private constructor(
    readonly modelDir: string,
    private readonly loaded: LoadedWhisper,
    o: ModelRunnerOptions,
  ) {
    this.o = { language: 'en', beamSize: 0, temperatures: [0], maxTokens: 0, topK: 5, cacheBytes: 2 ** 30, ...o };
  }

  /** Loads the base model (the backend must be initialised already). */
  static async open(modelDir: string, o: ModelRunnerOptions = {}): Promise<ModelRunner> {
    return new ModelRunner(path.resolve(modelDir), await loadWhisper(modelDir), o);
  }

  /** The loaded base: its tokenizer and checkpoint, and the model under the current setting. */
  get model(): LoadedWhisper {
    return { ...this.loaded, model: this.current?.model ?? this.loaded.model };
  }

  /** Whisper's English normaliser with the model folder's spelling map (normalizer.json). */
  normaliser(): Normaliser {
    const file = path.join(this.modelDir, 'normalizer.json');
    if (!existsSync(file)) {
      throw new UserError('NORMALIZER_INVALID', `${file} is missing; every Hugging Face Whisper model folder has a normalizer.json (the British → American spelling map) — download the model again.`);
    }
    return englishNormalizer(file);
  }

  /**
   * Resolves and validates adapter folders before any decoding: a PEFT adapter must fit the model,
   * a merged folder must be a Whisper of the same size. Returns the folders actually used (a run
   * folder stands for its best/ or adapter/).
   */
  async prepareAdapters(dirs: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const d of dirs) {
      if (!existsSync(d)) throw new UserError('ADAPTER_NOT_FOUND', `adapter folder ${d} does not exist; pass the adapter/ or best/ folder of a tuning run (or the run folder itself).`);
      await this.info(d);
      out.push(d);
    }
    return out;
  }

  private async info(dir: string): Promise<AdapterInfo> {
    const hit = this.adapters.get(dir);
    if (hit) return hit;
    const source = await readAdapter(dir, this.loaded.checkpoint.dims, this.loaded.checkpoint.dir);
    // A merged folder is a whole model: its encoder differs from the base one.
    const touchesEncoder = source.kind === 'merged' || [...source.pairs.keys()].some((m) => !m.startsWith('model.decoder.'));
    const info = { source, touchesEncoder };
    this.adapters.set(dir, info);
    return info;
  }

  /** Puts the model into `s`'s adapter setting (the prompt needs no state). */
  private async settle(s: DecodeSettings): Promise<void> {
    const want = s.adapter && s.adapterScale !== 0 ? `${s.adapter}\u0000${s.adapterScale}` : null;
    if ((this.current?.key ?? null) === want) return;
    // Leaving a setting is dropping its state: the base weights were never changed.
    this.current?.applied.dispose();
    this.current = null;
    if (want && s.adapter) {
      const info = await this.info(s.adapter);
      const applied = adapterState(this.loaded.model.weights, info.source, s.adapterScale);
      this.current = { key: want, info, applied, model: this.loaded.model.withState(applied.state) };
    }
  }

  /** True when the encoder now computes exactly what the base encoder does. */
  private baseEncoder(): boolean {
    return !this.current || !this.current.info.touchesEncoder;
  }

  /** Encoder input [nMels, 3000] for one clip's samples (≤ 30 s). */
  private mel(samples: Float32Array, kind: FeatureKind): Float32Array {
    const nMels = this.loaded.model.dims.nMels;
    if (kind === 'probe') return logMelSpectrogram(padOrTrim(samples), nMels).data;
    // Exactly transcribeSamples' first window, so the encoder output can be cached and reused.
    const mel = logMelSpectrogram(samples, nMels, N_SAMPLES);
    return melWindow(mel, 0, Math.min(N_FRAMES, mel.nFrames - N_FRAMES));
  }

  /** Encoder output [1, S, D] for a clip under the current setting; the caller disposes it. */
  private async encoded(clip: EvalClip, samples: Float32Array, kind: FeatureKind): Promise<tf.Tensor3D> {
    const { nAudioCtx, nAudioState, nMels } = this.loaded.model.dims;
    const shape: [number, number, number] = [1, nAudioCtx, nAudioState];
    const key = `${kind}\u0000${clip.audioPath}`;
    const cacheable = this.baseEncoder();
    const hit = cacheable ? this.cache.get(key) : undefined;
    if (hit) {
      this.stats.encoderCacheHits++;
      return tf.tensor3d(hit, shape);
    }
    this.stats.encoderRuns++;
    const mel = this.mel(samples, kind);
    const model = this.current?.model ?? this.loaded.model;
    const out = tf.tidy(() => model.encode(tf.tensor3d(mel, [1, nMels, N_FRAMES])));
    // Keep the first clips that fit rather than evicting: runComparison visits the clips in the
    // same order for every row, and with cyclic access an LRU would miss every time.
    if (cacheable && this.cachedBytes + out.size * 4 <= this.o.cacheBytes) {
      this.cache.set(key, ((await out.data()) as Float32Array).slice());
      this.cachedBytes += out.size * 4;
    }
    return out;
  }

  private samplesCache: { path: string; samples: Float32Array } | null = null;

  /** The clip's 16 kHz samples; the last clip is kept (decode then probe reads it twice). */
  private async samples(clip: EvalClip): Promise<Float32Array> {
    if (this.samplesCache?.path !== clip.audioPath) this.samplesCache = { path: clip.audioPath, samples: await loadAudio(clip.audioPath) };
    return this.samplesCache.samples;
  }

  private decodeOptions(): TranscribeOptions {
    return {
      language: this.o.language,
      beamSize: this.o.beamSize > 0 ? this.o.beamSize : undefined,
      sampleLen: this.o.maxTokens > 0 ? this.o.maxTokens : undefined,
      temperatures: this.o.temperatures,
    };
  }

  /** Transcript of one clip under one configuration (a TranscribeFn). */
  readonly transcribe: TranscribeFn = async (clip, s) => {
    await this.settle(s);
    const samples = await this.samples(clip);
    const { model, tokenizer } = this.model;
    const o = this.decodeOptions();
    this.stats.decodes++;
    if (samples.length > N_SAMPLES) {
      // Longer than one window: the full sliding-window transcription (no cached encoder).
      this.stats.encoderRuns += Math.ceil(samples.length / N_SAMPLES);
      return (await transcribeSamples(model, tokenizer, samples, { ...o, initialPrompt: s.prompt ?? undefined })).text;
    }
    const audio = await this.encoded(clip, samples, 'window');
    try {
      const prompt = s.prompt?.trim() ? tokenizer.encode(' ' + s.prompt.trim()) : undefined;
      const r = await decodeWithFallback(model, tokenizer, audio, o, prompt);
      // transcribeSamples' silence rule with its default thresholds: no speech and low confidence.
      const silent = r.noSpeechProb > 0.6 && !(r.avgLogprob > -1.0);
      return silent ? '' : r.text.trim();
    } finally {
      audio.dispose();
    }
  };

  /** Teacher-forced term probes on the clip's reference in Whisper's decoded form (a ProbeFn). */
  readonly probe: ProbeFn = async (clip, s, terms) => {
    await this.settle(s);
    const samples = await this.samples(clip);
    if (samples.length > N_SAMPLES) {
      this.stats.probesSkipped++;
      return [];
    }
    const { model, tokenizer } = this.model;
    const audio = await this.encoded(clip, samples, 'probe');
    try {
      const result = await probeTranscript(model, tokenizer, audio, decodedForm(clip.reference), {
        language: this.o.language,
        topK: this.o.topK,
        terms,
        prompt: s.prompt ?? undefined,
      });
      this.stats.probes++;
      return termProbesFromProbeResult(result);
    } catch (e) {
      if ((e as { code?: string }).code !== 'TRANSCRIPT_TOO_LONG') throw e;
      this.stats.probesSkipped++;
      return [];
    } finally {
      audio.dispose();
    }
  };

  /** Caveats for the report's notes. */
  notes(): string[] {
    const n = this.stats.probesSkipped;
    return n > 0 ? [`${n} probe(s) skipped: the clip is over ${N_SAMPLES / SAMPLE_RATE} s or its transcript is longer than the decoder reads; those clips have no log-probs.`] : [];
  }

  /** Frees the model, the adapter state and the cache. */
  dispose(): void {
    this.current?.applied.dispose();
    this.current = null;
    this.loaded.model.dispose();
    this.cache.clear();
    this.cachedBytes = 0;
    this.samplesCache = null;
  }
}

export type TimedProgress = CompareProgress & { elapsedSec: number; etaSec: number };

/** Wraps runComparison's per-clip progress with elapsed time and a linear ETA. */
export function withEta(cb: (p: TimedProgress) => void, now: () => number = Date.now): (p: CompareProgress) => void {
  const start = now();
  return (p) => {
    const elapsedSec = (now() - start) / 1000;
    cb({ ...p, elapsedSec, etaSec: eta(p.done, p.total, elapsedSec) });
  };
}
