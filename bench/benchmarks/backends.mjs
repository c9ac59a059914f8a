import * as tf from '@tensorflow/tfjs';
import { measureModel } from '@gradscope/tfjs';
import { buildModel, disposeAll, makeData, makeProbe, useBackend } from '../lib/models.mjs';
import { formatRange, median, ratios, summary, timed } from '../lib/stats.mjs';

/**
 * Benchmark 4: the same measurement, and the same training step, on the
 * wasm backend and on the pure-JS cpu backend, switching backend between
 * repetitions (tfjs moves the weights and the probe on first use; that copy
 * is part of the first timing after a switch and is a few MB at most).
 */
// 2 repetitions: a cpu measurement of this model takes ~20 s.
export const FULL = { configs: [['lstm', 128, 100]], reps: 2 };
export const SMOKE = { configs: [['lstm', 4, 4]], reps: 1 };
const BACKENDS = ['wasm', 'cpu'];

export async function backendsBenchmark({ configs, reps }, log) {
  const rows = [];
  for (const [cell, units, steps] of configs) {
    const model = buildModel(cell, units, steps);
    const data = makeData(32, steps);
    const probe = makeProbe(data);
    const times = Object.fromEntries(BACKENDS.map((b) => [b, { measure: [], train: [] }]));
    const last = {};
    try {
      for (let r = -1; r < reps; r++) {
        const order = r % 2 === 0 ? BACKENDS : [...BACKENDS].reverse();
        for (const backend of order) {
          await useBackend(backend);
          const train = await timed(() => model.trainOnBatch(data.xs, data.ys));
          const measure = await timed(() => measureModel(model, probe));
          last[backend] = measure.result[0];
          if (r < 0) continue; // warm-up round on each backend
          times[backend].train.push(train.ms);
          times[backend].measure.push(measure.ms);
        }
      }
    } finally {
      await useBackend('wasm');
      disposeAll(data, probe);
      model.dispose();
    }
    const rel = (a, b) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.max(1, Math.abs(b[i]))));
    const row = {
      cell, units, steps,
      wasm: { measure: median(times.wasm.measure), train: median(times.wasm.train) },
      cpu: { measure: median(times.cpu.measure), train: median(times.cpu.train) },
      measureRatio: summary(ratios(times.cpu.measure, times.wasm.measure)),
      trainRatio: summary(ratios(times.cpu.train, times.wasm.train)),
      agree: rel(last.cpu.stepNorm.mean, last.wasm.stepNorm.mean),
    };
    rows.push(row);
    log(`  ${cell} n=${units} T=${steps}: measurement wasm ${row.wasm.measure.toFixed(0)} ms, cpu ${row.cpu.measure.toFixed(0)} ms (×${row.measureRatio.median.toFixed(1)}); training step wasm ${row.wasm.train.toFixed(0)} ms, cpu ${row.cpu.train.toFixed(0)} ms`);
  }
  const r0 = rows[0];
  return {
    title: '4. Backends: wasm and cpu',
    summaryRows: [['4', `cpu / wasm, measurement of ${r0.cell} n=${r0.units} T=${r0.steps}`, `${formatRange(r0.measureRatio, 1)}× (training step ${formatRange(r0.trainRatio, 1)}×)`, '—']],
    markdown: [
      `measureModel (S = 8) and trainOnBatch (batch 32) of the same model on each backend, ${reps} repetitions after a warm-up round, backend order alternating. tfjs ${tf.version.tfjs}; wasm is single-threaded in Node.`,
      '',
      '| model | measurement wasm (ms) | measurement cpu (ms) | cpu / wasm | step wasm (ms) | step cpu (ms) | cpu / wasm | measurement / step, wasm | measurement / step, cpu | stepNorm agreement |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.cell} n=${r.units} T=${r.steps} | ${r.wasm.measure.toFixed(0)} | ${r.cpu.measure.toFixed(0)} | ${formatRange(r.measureRatio, 1)} | ${r.wasm.train.toFixed(0)} | ${r.cpu.train.toFixed(0)} | ${formatRange(r.trainRatio, 1)} | ${(r.wasm.measure / r.wasm.train).toFixed(2)} | ${(r.cpu.measure / r.cpu.train).toFixed(2)} | ${r.agree.toExponential(1)} |`),
    ].join('\n'),
  };
}
