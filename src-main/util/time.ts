/**
 * Time left and time taken, one definition for the CLI's progress bar, the job host's progress
 * events, the trainer and the comparison runner.
 */

/**
 * Linear ETA in seconds from the average rate so far: `elapsedSec / done × (total − done)`.
 * NaN when nothing is done yet (no rate to extrapolate from); 0 once done reaches total.
 */
export function eta(done: number, total: number, elapsedSec: number): number {
  if (done <= 0 || total <= 0) return NaN;
  return (elapsedSec / done) * Math.max(0, total - done);
}

/** The same ETA for an event stream: null instead of NaN (JSON has no NaN), 0 when complete. */
export function etaOrNull(done: number, total: number, elapsedSec: number): number | null {
  if (total > 0 && done >= total) return 0;
  const s = eta(done, total, elapsedSec);
  return Number.isFinite(s) ? s : null;
}

/** "m:ss" under an hour, "h:mm:ss" above; "--:--" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
