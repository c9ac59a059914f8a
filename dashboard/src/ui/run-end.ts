/**
 * How the shown run ended, in one sentence under its title: its status, the
 * reason a run gives when it did not simply complete (stopOnNaN stops it, a
 * fit() that threw or a process that exited fails it, a callback that stops
 * training completes it with that reason), what it recorded, how long it ran,
 * and what the monitor cost training (run-end's totals). Without it a run
 * showed only "(failed)" or "(stopped)", and the why was in the console of a
 * process the user may not be watching.
 */
import { formatRunCost, type RunEndEvent } from '@gradscope/protocol';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A run's length as people say it: 640 ms, 12.3 s, 4 min 5 s, 3 h 20 min. */
export function formatDuration(ms: number): string {
  if (!(ms >= 0) || !Number.isFinite(ms)) return 'an unknown time';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** e.g. "Stopped (stopOnNaN: loss is NaN at step 36) after 37 steps: 12 measurements, 2 alerts, 0 clips, in 4.1 s; the monitor took …". */
export function runEndText(end: RunEndEvent): string {
  const t = end.totals;
  const status = end.status.charAt(0).toUpperCase() + end.status.slice(1);
  const reason = end.reason ? ` (${end.reason})` : '';
  const counts = [plural(t.measurements, 'measurement'), plural(t.alerts, 'alert'), plural(t.clips, 'clip')].join(', ');
  return `${status}${reason} after ${plural(t.steps, 'step')}: ${counts}, in ${formatDuration(t.durationMs)}${formatRunCost(t)}.`;
}

/** Shows `end` in `el`, or hides `el` while the run has not ended; `data-status` colours it (style.css). */
export function renderRunEnd(el: HTMLElement, end: RunEndEvent | null): void {
  const text = end ? runEndText(end) : '';
  if (el.textContent !== text) el.textContent = text;
  el.hidden = end === null;
  el.dataset.status = end?.status ?? '';
}
