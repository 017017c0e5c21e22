/**
 * Whisper's audio hyperparameters (openai/whisper `audio.py`). Everything downstream — the mel
 * front end, the encoder's 1500 positions, timestamp tokens — assumes exactly these values.
 */

/** Whisper was trained on 16 kHz mono audio; every input is resampled to this rate. */
export const SAMPLE_RATE = 16000;
/** 25 ms analysis window at 16 kHz (400 samples), giving N_FFT / 2 + 1 = 201 frequency bins. */
export const N_FFT = 400;
/** 10 ms hop between frames at 16 kHz, so 100 mel frames per second. */
export const HOP_LENGTH = 160;
/** The encoder sees fixed 30-second windows. */
export const CHUNK_LENGTH = 30;
/** CHUNK_LENGTH * SAMPLE_RATE: 480000 samples in a 30-second chunk. */
export const N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE;
/** N_SAMPLES / HOP_LENGTH: 3000 frames in a mel spectrogram input. */
export const N_FRAMES = N_SAMPLES / HOP_LENGTH;
/** Number of frequency bins of the one-sided spectrum: N_FFT / 2 + 1 = 201. */
export const N_FREQS = N_FFT / 2 + 1;
/** The first conv layer has stride 2, so one encoder position (audio token) spans 2 hops = 320 samples. */
export const N_SAMPLES_PER_TOKEN = HOP_LENGTH * 2;
/** SAMPLE_RATE / HOP_LENGTH: 10 ms per frame. */
export const FRAMES_PER_SECOND = SAMPLE_RATE / HOP_LENGTH;
/** SAMPLE_RATE / N_SAMPLES_PER_TOKEN: 50 audio tokens per second, 20 ms each (timestamp tokens also step by 20 ms). */
export const TOKENS_PER_SECOND = SAMPLE_RATE / N_SAMPLES_PER_TOKEN;
