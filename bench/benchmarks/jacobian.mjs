import { measureModel } from '@gradscope/tfjs';
import { buildModel, disposeAll, makeData, makeProbe } from '../lib/models.mjs';
import { formatRange, interleave, median, ratios, summary } from '../lib/stats.mjs';

/**
 * Benchmark 3: the whole measurement with analytic Jacobian operators over
 * the same measurement with Jacobians by autodiff — the way one computes
 * them by hand with tf.grads: the cell's own call differentiated with an
 * identity cotangent (one backward pass per chunk of S·T·N tiled rows, see
 * autodiff-jacobian.ts), then dense [S·T, N, N] matrices for the norms and
 * products. Both give every quantity; the numbers must agree to 1e-5
 * (relative, or absolute below 1).
 */
// n = 128 at T = 50: the autodiff measurement alone takes ~40 s there (~75 s at T = 100).
export const FULL = { configs: [['lstm', 64, 50, 3], ['lstm', 128, 50, 1]] };
export const SMOKE = { configs: [['lstm', 4, 4, 1]] };

/** Every number of a measurement record, flattened in a fixed order. */
function numbers(record) {
  const out = [];
  const walk = (x) => {
    if (typeof x === 'number') out.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') Object.keys(x).sort().forEach((k) => walk(x[k]));
  };
  const { stepNorm, logProduct, logBound, beta, ftle, gradNorm } = record;
  walk({ stepNorm, logProduct, logBound, beta, ftle, gradNorm });
  return out;
}

function worstDifference(a, b) {
  const x = numbers(a);
  const y = numbers(b);
  if (x.length !== y.length) return Infinity;
  let worst = 0;
  x.forEach((v, i) => {
    const w = y[i];
    if (Number.isNaN(v) && Number.isNaN(w)) return;
    worst = Math.max(worst, Math.abs(v - w) / Math.max(1, Math.abs(w)));
  });
  return worst;
}

export async function jacobianBenchmark({ configs }, log) {
  const rows = [];
  for (const [cell, units, steps, reps] of configs) {
    const model = buildModel(cell, units, steps);
    const data = makeData(8, steps);
    const probe = makeProbe(data);
    try {
      const results = {};
      const run = (method) => async () => {
        results[method] = (await measureModel(model, probe, { method }))[0];
      };
      await run('analytic')();
      if (reps > 1) await run('autodiff')(); // warm-up, where a repetition is affordable
      const times = await interleave(reps, { analytic: run('analytic'), autodiff: run('autodiff') });
      const row = {
        cell, units, steps, reps,
        analytic: median(times.analytic), autodiff: median(times.autodiff),
        speedup: summary(ratios(times.autodiff, times.analytic)),
        difference: worstDifference(results.analytic, results.autodiff),
      };
      rows.push(row);
      log(`  ${cell} n=${units} T=${steps}: analytic ${row.analytic.toFixed(0)} ms, autodiff ${row.autodiff.toFixed(0)} ms, ×${row.speedup.median.toFixed(1)}, worst difference ${row.difference.toExponential(1)}`);
    } finally {
      disposeAll(data, probe);
      model.dispose();
    }
  }
  const big = rows[rows.length - 1];
  return {
    title: '3. Analytic Jacobians over autodiff',
    summaryRows: [['3', `autodiff measurement / analytic, ${big.cell} n=${big.units} T=${big.steps}`, `${formatRange(big.speedup, 1)}× (numbers agree to ${big.difference.toExponential(1)})`, '≥ 50×, agree to 1e-5']],
    markdown: [
      'measureModel(…, { method }) with S = 8: analytic operators against dense Jacobians by autodiff of the cell\'s own call (tf.grads with an identity cotangent). Interleaved; the worst difference is over every stepNorm, logProduct, logBound, beta, FTLE and gradNorm summary value, relative (absolute below 1).',
      '',
      '| model | repetitions | analytic (ms) | autodiff (ms) | autodiff / analytic | worst difference |',
      '|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.cell} n=${r.units} T=${r.steps} | ${r.reps} | ${r.analytic.toFixed(0)} | ${r.autodiff.toFixed(0)} | ${formatRange(r.speedup, 1)} | ${r.difference.toExponential(1)} |`),
      '',
      ...rows.map((r) => `${r.cell} n=${r.units} T=${r.steps}: ${r.speedup.median >= 50 ? 'holds' : 'misses'} the ≥ 50× target (${r.speedup.median.toFixed(1)}×); numbers ${r.difference <= 1e-5 ? 'agree' : 'differ'} (${r.difference.toExponential(1)} against 1e-5).`),
    ].join('\n'),
  };
}
