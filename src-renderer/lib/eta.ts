/**
 * @file "1:05 left" for a job's progress line, from the job host's `etaSec` (null until the job has
 * a rate to extrapolate from). One phrasing for every page that shows a running job.
 */
import { formatDuration } from '../../src-main/util/time.ts';

export function etaText(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? 'estimating time left…' : `${formatDuration(seconds)} left`;
}
