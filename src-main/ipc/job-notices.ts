/**
 * @file Which finished jobs deserve a notification and what it says, for the desktop app
 * (electron/attention.ts) and the browser mode (src-renderer/lib/notify.ts) alike. Pure: no Node,
 * no DOM.
 */
import type { Events, JobKind, Page } from './contract.ts';

/** Jobs long enough to deserve a progress bar and a notification, and where their result shows. */
const WATCHED: Partial<Record<JobKind, { what: string; page: Page; doneBody: string }>> = {
  tune: { what: 'Tuning', page: 'Tune', doneBody: 'The tuned model is ready. Open Compare to see what it hears differently.' },
  compare: { what: 'Comparison', page: 'Compare', doneBody: 'The report is ready: WER, the term scorecard and the forgetting guard.' },
  transcribe: { what: 'Transcription', page: 'Dataset', doneBody: "The base model's transcripts are in: check them on the Dataset page." },
  download: { what: 'Model download', page: 'Models', doneBody: 'The model is downloaded and ready to use.' },
};

export interface NotificationText {
  title: string;
  body: string;
  page: Page;
}

/**
 * The notification for a finished job, or null (not a watched kind, or cancelled: the user did
 * that, and needs no telling).
 */
export function notificationFor(e: Events['job.finished']): NotificationText | null {
  const w = WATCHED[e.kind];
  if (!w || e.status === 'cancelled') return null;
  if (e.status === 'failed') return { title: `${w.what} failed`, body: e.error?.message ?? 'See the app for details.', page: w.page };
  return { title: `${w.what} finished`, body: w.doneBody, page: w.page };
}

/** Tune, compare, transcription (pre-label) and downloads: the jobs long enough to watch. */
export function isWatchedJob(kind: JobKind): boolean {
  return WATCHED[kind] !== undefined;
}
