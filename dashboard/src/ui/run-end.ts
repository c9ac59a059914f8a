/**
 * How the shown run ended, in one sentence under its title: its status, the
 * reason a run gives when it did not simply complete (stopOnNaN stops it, a
 * fit() that threw or a process that exited fails it, a callback that stops
 * training completes it with that reason), what it recorded, how long it ran,
 * and what the monitor cost training (run-end's totals). Without it a run
 * showed only "(failed)" or "(stopped)", and the why was in the console of a
 * process the user may not be watching. A compared run gets a line of its
 * own below (renderCompareEnd).
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

/** Characters of a reason shown in the sentence; the whole reason is the line's tooltip. */
export const REASON_CHARS = 160;

/**
 * The reason as the sentence shows it: its first line, cut at REASON_CHARS.
 * Why: a run that failed on an uncaught error carries the error's message,
 * which can run to many lines (tfjs's shape errors list every input), and
 * the sentence must stay one line under the title.
 */
export function shortReason(reason: string): string {
  const first = reason.trim().split('\n', 1)[0]!.trim();
  const more = first.length < reason.trim().length;
  if (first.length > REASON_CHARS) return `${first.slice(0, REASON_CHARS - 1).trimEnd()}…`;
  return more ? `${first} …` : first;
}

/** e.g. "Stopped (stopOnNaN: loss is NaN at step 36) after 37 steps: 12 measurements, 2 alerts, 0 clips, in 4.1 s; the monitor took …". */
export function runEndText(end: RunEndEvent): string {
  const t = end.totals;
  const status = end.status.charAt(0).toUpperCase() + end.status.slice(1);
  const reason = end.reason ? ` (${shortReason(end.reason)})` : '';
  const counts = [plural(t.measurements, 'measurement'), plural(t.alerts, 'alert'), plural(t.clips, 'clip')].join(', ');
  return `${status}${reason} after ${plural(t.steps, 'step')}: ${counts}, in ${formatDuration(t.durationMs)}${formatRunCost(t)}.`;
}

/** Shows `end` in `el`, or hides `el` while the run has not ended; `data-status` colours it (style.css); the whole reason is its tooltip. */
export function renderRunEnd(el: HTMLElement, end: RunEndEvent | null): void {
  show(el, end ? runEndText(end) : null, end?.status ?? '', end?.reason ?? '');
}

/**
 * The compared run's line under the shown run's: its name and how it ended
 * (as renderRunEnd says it), or that it has not ended yet, or ended without
 * a run-end (the server's status `incomplete`: its process died). Hidden
 * when nothing is compared. Why: the curves of a compared run that stopped
 * early or failed look like those of a run that is still training.
 */
export function renderCompareEnd(el: HTMLElement, compared: { name: string; status: string; end: RunEndEvent | null; step: number | null } | null): void {
  if (!compared) {
    show(el, null, '', '');
    return;
  }
  const at = (words: string) => (compared.step === null ? '' : `, ${words} step ${compared.step}`);
  const how = compared.end
    ? runEndText(compared.end)
    : compared.status === 'live'
      ? `Still running${at('at')}.`
      : compared.status === 'incomplete'
        ? `Ended without a run-end (its process stopped while the run was open)${at('after')}.`
        : // The server's list knows the ending before the run's own run-end has been replayed here.
          `${compared.status.charAt(0).toUpperCase()}${compared.status.slice(1)}${at('after')}.`;
  show(el, `Compared with ${compared.name} — ${how}`, compared.end?.status ?? compared.status, compared.end?.reason ?? '');
}

function show(el: HTMLElement, text: string | null, status: string, tooltip: string): void {
  if (el.textContent !== (text ?? '')) el.textContent = text ?? '';
  el.hidden = text === null;
  el.dataset.status = status;
  el.title = tooltip;
}
