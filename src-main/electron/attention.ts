/**
 * @file Long jobs that end silently get forgotten: this shows their progress on the taskbar/dock
 * icon (`win.setProgressBar`, the dock badge on macOS) and a system notification when one
 * finishes — tuning, comparison, pre-labelling (transcription) and model downloads. Clicking the
 * notification brings the window forward on the page that shows the result.
 *
 * Which jobs matter and what their notification says is in ipc/job-notices.ts (shared with the
 * browser mode's notifications); `Attention` applies it to Electron (through the DesktopLike /
 * AttentionWindowLike slices, so the tests drive it with the stand-in).
 */
import type { Events } from '../ipc/contract.ts';
import { isWatchedJob, notificationFor } from '../ipc/job-notices.ts';
import type { AttentionWindowLike, DesktopLike } from './electron-like.ts';

export type JobEvent = { name: 'job.progress'; payload: Events['job.progress'] } | { name: 'job.finished'; payload: Events['job.finished'] };

/** Progress of the watched jobs as one number for the icon: mean fraction in [0, 1], or -1 for none. */
export function overallProgress(active: Map<string, number>): number {
  if (active.size === 0) return -1;
  let sum = 0;
  for (const f of active.values()) sum += f;
  return sum / active.size;
}

export class Attention {
  /** jobId → fraction done, for the watched jobs still running. */
  private readonly active = new Map<string, number>();

  constructor(
    private readonly desktop: DesktopLike,
    private readonly window: () => AttentionWindowLike | null,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  onJobEvent(e: JobEvent): void {
    if (!isWatchedJob(e.payload.kind)) return;
    if (e.name === 'job.progress') {
      const { done, total } = e.payload;
      this.active.set(e.payload.jobId, total > 0 ? Math.min(1, Math.max(0, done / total)) : 0);
    } else {
      this.active.delete(e.payload.jobId);
      this.notify(e.payload);
    }
    this.showProgress();
  }

  private showProgress(): void {
    const win = this.window();
    const p = overallProgress(this.active);
    win?.setProgressBar(p, { mode: p < 0 ? 'none' : 'normal' });
    // macOS shows no progress on the dock icon for most apps' users; a badge with the number of
    // running jobs is what they look for. Other platforms' counters (Unity launcher) likewise.
    const n = this.active.size;
    if (this.platform === 'darwin' && this.desktop.app.dock) this.desktop.app.dock.setBadge(n > 0 ? String(n) : '');
    else this.desktop.app.setBadgeCount?.(n);
  }

  private notify(e: Events['job.finished']): void {
    const text = notificationFor(e);
    if (!text) return;
    const win = this.window();
    if (!win || !this.desktop.Notification.isSupported()) return;
    const n = new this.desktop.Notification({ title: text.title, body: text.body });
    n.on('click', () => {
      const w = this.window();
      if (!w) return;
      w.focus();
      if (!w.webContents.isDestroyed()) w.webContents.send('vt-event:app.navigate', { page: text.page });
    });
    n.show();
    // Focused window: the in-app view already says it; unfocused: also ask for attention.
    if (!win.isFocused()) win.flashFrame(true);
  }
}
