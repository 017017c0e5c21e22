// AudioWorklet processor: copies the microphone's float samples, every channel, at the context's
// rate (opened at the device's own rate), and posts them to the page in blocks of about 4 096
// frames. No encoder anywhere: what the page stores is what the microphone delivered.
// Plain JavaScript because a worklet module is loaded as-is (Vite copies it; the CSP allows it as
// a same-origin script).
class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunks = [];
    this.frames = 0;
    this.port.onmessage = (e) => {
      if (e.data === 'flush') this.flush(true);
    };
  }

  flush(final) {
    if (this.frames > 0) {
      const channels = this.chunks[0].map((_, c) => {
        const out = new Float32Array(this.frames);
        let at = 0;
        for (const block of this.chunks) {
          out.set(block[c] ?? block[0], at);
          at += block[0].length;
        }
        return out;
      });
      this.port.postMessage({ channels }, channels.map((c) => c.buffer));
    }
    this.chunks = [];
    this.frames = 0;
    if (final) this.port.postMessage({ done: true });
  }

  process(inputs) {
    const input = inputs[0];
    // An input with no channels is a source that has not started yet (or has ended): no frames.
    if (input && input.length > 0) {
      this.chunks.push(input.map((ch) => ch.slice()));
      this.frames += input[0].length;
      if (this.frames >= 4096) this.flush(false);
    }
    return true;
  }
}

registerProcessor('pcm-capture', PcmCapture);
