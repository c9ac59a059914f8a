/**
 * Summaries of repeated measurements. Benchmarks report the median (robust
 * to the odd slow repetition on a shared machine) with the min–max range,
 * never a mean.
 */

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** { median, min, max } of a list. */
export function summary(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** "1.23 (1.10–1.40)" for a summary; digits after the point. */
export function formatRange(s, digits = 2) {
  if (!Number.isFinite(s.median)) return 'n/a';
  const f = (x) => x.toFixed(digits);
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

export const now = () => performance.now();

/** CPU time of this process (user + system) in ms. */
export const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Wall time of an async function in ms, its result, and the process's CPU
 * time in ms: on a loaded shared machine the wall time of the same work
 * varies 2–3× with the other processes, the CPU time far less (tfjs's wasm
 * backend runs on this thread).
 */
export async function timed(fn) {
  const [t0, c0] = [now(), cpuNow()];
  const result = await fn();
  return { ms: now() - t0, cpu: cpuNow() - c0, result };
}

/**
 * Runs `reps` repetitions of the variants side by side, alternating their
 * order (A B, B A, A B, …) so that a slow phase of a shared machine falls on
 * both. Returns the ms of every repetition per variant name.
 */
export async function interleave(reps, variants, cpuTimes = null) {
  const names = Object.keys(variants);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  if (cpuTimes) for (const n of names) cpuTimes[n] = [];
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const t = await timed(variants[name]);
      times[name].push(t.ms);
      cpuTimes?.[name].push(t.cpu);
    }
  }
  return times;
}

/** Element-wise ratio of two equally long lists. */
export const ratios = (a, b) => a.map((x, i) => x / b[i]);
