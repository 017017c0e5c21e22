/**
 * Progress for long CLI work: a one-line bar with rate and ETA on a terminal (stderr), plain
 * occasional lines when stderr is not a TTY, and nothing in JSON mode (stdout stays one object).
 */
import { eta, formatDuration } from '../util/time.ts';

export interface Progress {
  update(done: number, label?: string): void;
  done(message?: string): void;
}

export function progressBar(total: number, title: string, opts: { quiet?: boolean; unit?: string; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const start = Date.now();
  let lastPlain = 0;
  const unit = opts.unit ?? '';
  if (opts.quiet) return { update() {}, done() {} };
  return {
    update(done, label) {
      const el = (Date.now() - start) / 1000;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const rate = el > 0 ? done / el : 0;
      const text = `${title} ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total}${unit} ${rate.toFixed(2)}${unit}/s ETA ${formatDuration(eta(done, total, el))}${label ? ` ${label}` : ''}`;
      if (stream.isTTY) {
        const width = 24;
        const fill = Math.round(frac * width);
        stream.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${text}\x1b[K`);
      } else if (Date.now() - lastPlain > 2000 || done >= total) {
        lastPlain = Date.now();
        stream.write(`${text}\n`);
      }
    },
    done(message) {
      if (stream.isTTY) stream.write('\r\x1b[K');
      if (message) stream.write(`${message}\n`);
    },
  };
}
