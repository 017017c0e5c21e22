/**
 * @file Browser-mode notifications when a long job ends (tuning, comparison, pre-labelling,
 * downloads), after the user opts in on the Settings page: the browser asks for permission only
 * then, never at page load. The desktop app notifies from the main process instead (with taskbar
 * progress; src-main/electron/attention.ts), so nothing here runs under Electron. Both take their
 * texts from src-main/ipc/job-notices.ts, so both modes say the same thing.
 */
import { notificationFor } from '../../src-main/ipc/job-notices.ts';
import { on } from './api.ts';

const KEY = 'vocab-tuner.notify';

/** True in a browser that can show notifications (not the desktop app, which has its own). */
export function browserNotificationsPossible(): boolean {
  return !window.api && typeof Notification !== 'undefined';
}

/** The user's choice and the browser's permission together: notifications will actually show. */
export function browserNotificationsOn(): boolean {
  return browserNotificationsPossible() && localStorage.getItem(KEY) === '1' && Notification.permission === 'granted';
}

/** Opt in (asks the browser's permission; a click is the user gesture it wants) or out. */
export async function setBrowserNotifications(on: boolean): Promise<NotificationPermission> {
  if (!browserNotificationsPossible()) return 'denied';
  if (!on) {
    localStorage.setItem(KEY, '0');
    return Notification.permission;
  }
  const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
  localStorage.setItem(KEY, permission === 'granted' ? '1' : '0');
  return permission;
}

/** Listens for finished jobs for the page's lifetime; notifies only while the tab is not in view. */
export function startBrowserNotifications(): () => void {
  if (!browserNotificationsPossible()) return () => {};
  return on('job.finished', (f) => {
    if (!browserNotificationsOn() || document.visibilityState === 'visible' && document.hasFocus()) return;
    const text = notificationFor(f);
    if (!text) return;
    const n = new Notification(text.title, { body: text.body, tag: f.jobId });
    n.onclick = () => {
      window.focus();
      n.close();
    };
  });
}
