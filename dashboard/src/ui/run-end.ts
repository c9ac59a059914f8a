/**
 * How the shown run ended, in one sentence under its title: its status, the
 * reason a run that did not simply complete gives (stopOnNaN, a fit() that
 * threw, a callback that stopped it), what it recorded, and what the monitor
 * cost training (run-end's totals). Without it a failed run showed only
 * "(failed)", and the why was in the console of a process the user may not
 * be watching.
 */
import { formatNumber, formatRunCost, type RunEndEvent } from '@gradscope/protocol';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** e.g. "Failed (stopOnNaN: loss is NaN) after 120 steps: 40 measurements, 3 alerts, 0 clips, in 12.3 s; the monitor took …". */
export function runEndText(end: RunEndEvent): string {
  const t = end.totals;
  const status = end.status.charAt(0).toUpperCase() + end.status.slice(1);
  const reason = end.reason ? ` (${end.reason})` : '';
  const counts = [plural(t.measurements, 'measurement'), plural(t.alerts, 'alert'), plural(t.clips, 'clip')].join(', ');
  return `${status}${reason} after ${plural(t.steps, 'step')}: ${counts}, in ${formatNumber(t.durationMs / 1000)} s${formatRunCost(t)}.`;
}

/** Shows `end` in `el`, or hides `el` while the run has not ended. */
export function renderRunEnd(el: HTMLElement, end: RunEndEvent | null): void {
  const text = end ? runEndText(end) : '';
  if (el.textContent !== text) el.textContent = text;
  el.hidden = end === null;
  el.dataset.status = end?.status ?? '';
}
