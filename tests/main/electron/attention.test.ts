/**
 * Taskbar/dock progress and notifications for long jobs (src-main/electron/attention.ts), driven
 * with job events as the job host emits them and a stand-in for Electron's Notification, app.dock
 * and the window (the Electron binary cannot be installed here; the compiled-app test in
 * desktop.test.ts runs the same code in the real main process with a real download job).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attention, overallProgress, type JobEvent } from '../../../src-main/electron/attention.ts';
import { notificationFor } from '../../../src-main/ipc/job-notices.ts';
import type { AttentionWindowLike, DesktopLike } from '../../../src-main/electron/electron-like.ts';
import type { JobKind } from '../../../src-main/ipc/contract.ts';

function standIn(opts: { focused?: boolean } = {}) {
  const calls: unknown[][] = [];
  const clicks: (() => void)[] = [];
  const desktop: DesktopLike = {
    Notification: class {
      constructor(private o: { title: string; body: string }) {}
      static isSupported = () => true;
      on(_e: 'click', fn: () => void) {
        clicks.push(fn);
      }
      show() {
        calls.push(['notify', this.o.title, this.o.body]);
      }
    },
    app: { dock: { setBadge: (t: string) => void calls.push(['badge', t]) }, setBadgeCount: (n: number) => (calls.push(['count', n]), true) },
    dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) },
  };
  const win: AttentionWindowLike = {
    setProgressBar: (p, o) => void calls.push(['progress', p, o?.mode]),
    isFocused: () => opts.focused ?? false,
    flashFrame: (f) => void calls.push(['flash', f]),
    focus: () => void calls.push(['focus']),
    webContents: { send: (ch, payload) => void calls.push(['send', ch, payload]), isDestroyed: () => false },
  };
  return { desktop, win, calls, clicks };
}

const progress = (jobId: string, kind: JobKind, done: number, total: number): JobEvent => ({ name: 'job.progress', payload: { jobId, kind, done, total, etaSec: 10, message: '', metrics: {} } });
const finished = (jobId: string, kind: JobKind, status: 'done' | 'failed' | 'cancelled', message = ''): JobEvent => ({
  name: 'job.finished',
  payload: { jobId, kind, status, error: status === 'failed' ? { code: 'X', message } : null },
});

test('tune, compare, pre-label and download: icon progress while running, a notification when done, progress cleared', () => {
  for (const [kind, title, page] of [['tune', 'Tuning finished', 'Tune'], ['compare', 'Comparison finished', 'Compare'], ['transcribe', 'Transcription finished', 'Dataset'], ['download', 'Model download finished', 'Models']] as const) {
    const s = standIn();
    const a = new Attention(s.desktop, () => s.win, 'linux');
    a.onJobEvent(progress('j1', kind, 1, 4));
    a.onJobEvent(progress('j1', kind, 3, 4));
    a.onJobEvent(finished('j1', kind, 'done'));
    assert.deepEqual(s.calls.filter((c) => c[0] === 'progress'), [['progress', 0.25, 'normal'], ['progress', 0.75, 'normal'], ['progress', -1, 'none']], kind);
    assert.deepEqual(s.calls.filter((c) => c[0] === 'count'), [['count', 1], ['count', 1], ['count', 0]], kind);
    const note = s.calls.find((c) => c[0] === 'notify');
    assert.equal(note?.[1], title);
    assert.ok(s.calls.some((c) => c[0] === 'flash' && c[1] === true), 'an unfocused window flashes');
    s.clicks[0]();
    assert.deepEqual(s.calls.slice(-2), [['focus'], ['send', 'vt-event:app.navigate', { page }]], 'clicking opens the page with the result');
  }
});

test('two jobs share the bar; failures say why; cancelled and short jobs stay quiet; macOS gets a dock badge', () => {
  const s = standIn({ focused: true });
  const a = new Attention(s.desktop, () => s.win, 'darwin');
  a.onJobEvent(progress('t', 'tune', 1, 2));
  a.onJobEvent(progress('d', 'download', 0, 10));
  a.onJobEvent(progress('x', 'decode', 1, 2)); // a clip decode: not worth the taskbar
  a.onJobEvent(finished('d', 'download', 'failed', 'The Hub answered 401: log in with a token.'));
  a.onJobEvent(finished('t', 'tune', 'cancelled'));
  assert.deepEqual(s.calls.filter((c) => c[0] === 'progress').map((c) => c[1]), [0.5, 0.25, 0.5, -1]);
  assert.deepEqual(s.calls.filter((c) => c[0] === 'badge').map((c) => c[1]), ['1', '2', '1', '']);
  assert.deepEqual(s.calls.filter((c) => c[0] === 'notify'), [['notify', 'Model download failed', 'The Hub answered 401: log in with a token.']]);
  assert.ok(!s.calls.some((c) => c[0] === 'flash'), 'a focused window is not flashed');
  assert.equal(notificationFor({ jobId: 'x', kind: 'probe', status: 'done', error: null }), null);
  assert.equal(overallProgress(new Map()), -1);
});
