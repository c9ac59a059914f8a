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

/**
 * A distribution-free confidence interval for the median of `values`: the
 * k-th smallest and k-th largest, for the largest k whose interval still
 * covers the median with probability at least `coverage` (each value falls
 * below the true median with probability ½, so the count that does is
 * Binomial(n, ½)). Returns { low, high, coverage } with the interval's own
 * coverage, or null when even the min–max does not reach `coverage`
 * (n ≤ 5 at 95%).
 *
 * Why: on this shared host one whole-run ratio moves by ±0.1–0.4 from
 * round to round while plain training is compared with itself; a median of
 * three rounds says little, and the interval says how little.
 */
export function medianInterval(values, coverage = 0.95) {
  const n = values.length;
  const s = [...values].sort((a, b) => a - b);
  // below[j]: P(Binomial(n, ½) ≤ j).
  const below = [];
  let term = 0.5 ** n;
  let sum = 0;
  for (let j = 0; j <= n; j++) {
    sum += term;
    below.push(sum);
    term = (term * (n - j)) / (j + 1);
  }
  let best = null;
  // [x(k), x(n−k+1)] (1-based) misses the median when at most k−1 values fall below it, or above it.
  for (let k = 1; 2 * k <= n; k++) {
    const covered = 1 - 2 * below[k - 1];
    if (covered < coverage) break;
    best = { low: s[k - 1], high: s[n - k], coverage: covered };
  }
  return best;
}

/**
 * How many of the C(m+n, m) orders of m values of one sample among n of
 * another put exactly u pairs (one of each) with the second sample's value
 * below the first's: counts[u] for u = 0 … m·n, the Mann–Whitney statistic's
 * null distribution (both samples from one distribution, no ties).
 * The largest value is the first sample's (its n pairs all count) or the
 * second's (none of its pairs count): c(m, n, u) = c(m−1, n, u−n) + c(m, n−1, u).
 */
export function mannWhitneyCounts(m, n) {
  // row[j]: counts for (i, j) as i grows; start with i = 0, where every j has one order and u = 0.
  let row = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const next = [[1]]; // j = 0: one order, no pairs
    for (let j = 1; j <= n; j++) {
      const counts = new Array(i * j + 1).fill(0);
      row[j].forEach((c, u) => (counts[u + j] += c)); // the largest is a first-sample value: its j pairs count
      next[j - 1].forEach((c, u) => (counts[u] += c)); // the largest is a second-sample value: none of its pairs
      next.push(counts);
    }
    row = next;
  }
  return row[n];
}

/**
 * The shift between two samples and a distribution-free confidence interval
 * for it: `ys` taken as `xs` moved by an unknown Δ. The estimate is the
 * median of the m·n differences y − x (Hodges–Lehmann); the interval, their
 * (k+1)-th smallest and (k+1)-th largest for the largest k whose interval
 * still covers Δ with probability at least `coverage`: the (k+1)-th smallest
 * is above Δ exactly when at most k of the differences fall below it, and
 * how many do is the Mann–Whitney statistic of xs against ys − Δ, whose
 * distribution mannWhitneyCounts gives. Returns { estimate, low, high,
 * coverage } with the interval's own coverage, or { estimate } alone when
 * even the smallest and largest difference do not reach `coverage` (3 against 3
 * at 95%).
 *
 * Why: benchmark 7's processes each run at a speed of their own, a few
 * percent apart over all their turns; with several processes of each
 * variant this interval holds that spread, where blocks of one process's
 * turns do not.
 */
export function shiftInterval(xs, ys, coverage = 0.95) {
  const d = xs.flatMap((x) => ys.map((y) => y - x)).sort((a, b) => a - b);
  const counts = mannWhitneyCounts(xs.length, ys.length);
  const total = counts.reduce((s, c) => s + c, 0);
  const result = { estimate: median(d) };
  let below = 0; // orders with U ≤ k
  for (let k = 0; 2 * k < d.length; k++) {
    below += counts[k];
    const covered = (total - 2 * below) / total; // 1 − 2·P(U ≤ k), from whole counts: exact at a boundary
    if (covered < coverage) break;
    Object.assign(result, { low: d[k], high: d[d.length - 1 - k], coverage: covered });
  }
  return result;
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
