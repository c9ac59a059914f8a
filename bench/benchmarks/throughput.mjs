import * as tf from '@tensorflow/tfjs';
import { measureModel } from '@gradscope/tfjs';
import { buildModel, disposeAll, makeData, makeProbe } from '../lib/models.mjs';
import { median, now, timed } from '../lib/stats.mjs';

/**
 * Benchmark 5: how close to the machine's limit the measurement runs.
 *
 * One measurement is profiled kernel by kernel (tf.profile). Its matMuls
 * give the useful floating-point work: 2·|output|·K per matMul. The
 * achieved rate is that work over the unprofiled wall time of a
 * measurement; the limit is the backend's own batched matMul replaying the
 * very same shapes back to back (plain layout, no transposes). Their ratio
 * is the fraction of the measurement's wall time that a perfect engine
 * would still need. The profile's kernel times also say where the rest
 * goes: other kernels, and JavaScript outside kernels (QR, bookkeeping,
 * tfjs's per-op overhead).
 */
export const FULL = { config: ['lstm', 128, 100], reps: 3, replays: 3 };
export const SMOKE = { config: ['lstm', 4, 4], reps: 1, replays: 1 };
const MATMULS = new Set(['BatchMatMul', '_FusedMatMul', 'FusedMatMul', 'MatMul']);

const size = (shape) => shape.reduce((a, b) => a * b, 1);

/** Useful flops of a matMul kernel from its shapes: out [..., M, N], a holds batch·M·K entries. */
function matMulShape(kernel) {
  const out = kernel.outputShapes[0];
  const a = kernel.inputShapes[0];
  const m = out[out.length - 2];
  const n = out[out.length - 1];
  const batch = size(out.slice(0, -2));
  const k = size(a) / (batch * m);
  return { batch, m, n, k, flops: 2 * batch * m * n * k };
}

/** Time of the backend's batched matMul on every shape, as many times as the measurement ran it. */
async function replay(shapes, rounds) {
  const counts = new Map();
  for (const s of shapes) {
    const key = `${s.batch},${s.m},${s.k},${s.n}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const times = [];
  for (let r = 0; r < rounds; r++) {
    let total = 0;
    for (const [key, count] of counts) {
      const [batch, m, k, n] = key.split(',').map(Number);
      const a = tf.randomNormal([batch, m, k]);
      const b = tf.randomNormal([batch, k, n]);
      tf.matMul(a, b).dispose(); // warm
      const t0 = now();
      for (let i = 0; i < count; i++) tf.matMul(a, b).dispose();
      total += now() - t0;
      tf.dispose([a, b]);
    }
    times.push(total);
  }
  return median(times);
}

export async function throughputBenchmark({ config, reps, replays }, log) {
  const [cell, units, steps] = config;
  const model = buildModel(cell, units, steps);
  const data = makeData(8, steps);
  const probe = makeProbe(data);
  try {
    await measureModel(model, probe);
    const walls = [];
    for (let r = 0; r < reps; r++) walls.push((await timed(() => measureModel(model, probe))).ms);
    const wall = median(walls);
    const profile = await tf.profile(() => measureModel(model, probe));
    const shapes = [];
    const byKernel = new Map();
    let kernelMs = 0;
    let matmulMs = 0;
    for (const k of profile.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      kernelMs += ms;
      byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
      if (MATMULS.has(k.name)) {
        shapes.push(matMulShape(k));
        matmulMs += ms;
      }
    }
    const flops = shapes.reduce((s, x) => s + x.flops, 0);
    const replayMs = await replay(shapes, replays);
    const achieved = flops / wall / 1e6; // GFLOP/s
    const peak = flops / replayMs / 1e6;
    log(`  ${cell} n=${units} T=${steps}: ${(flops / 1e9).toFixed(2)} GFLOP in ${shapes.length} matMuls; wall ${wall.toFixed(0)} ms → ${achieved.toFixed(2)} GFLOP/s; same matMuls alone ${replayMs.toFixed(0)} ms → ${peak.toFixed(1)} GFLOP/s; ${((100 * replayMs) / wall).toFixed(0)}% of the limit`);
    const top = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 8);
    return {
      title: '5. Throughput against the backend\'s own matMul',
      summaryRows: [['5', `achieved / batched-matMul GFLOP/s, ${cell} n=${units} T=${steps}`, `${achieved.toFixed(2)} / ${peak.toFixed(1)} GFLOP/s = ${((100 * replayMs) / wall).toFixed(0)}%`, '—']],
      markdown: [
        `One measurement of ${cell} n=${units} T=${steps}, S = 8: ${(flops / 1e9).toFixed(2)} GFLOP of matMul work in ${shapes.length} matMul kernels (from tf.profile). Wall time ${wall.toFixed(0)} ms (median of ${reps}) → **${achieved.toFixed(2)} GFLOP/s**. The backend's batched matMul on the same shapes, back to back: ${replayMs.toFixed(0)} ms → **${peak.toFixed(1)} GFLOP/s**. The measurement runs at ${((100 * replayMs) / wall).toFixed(0)}% of that limit.`,
        '',
        `Where the wall time goes (profiled run; kernel times include tfjs's per-kernel overhead): matMul kernels ${matmulMs.toFixed(0)} ms, other kernels ${(kernelMs - matmulMs).toFixed(0)} ms, outside kernels (JavaScript: QR and bookkeeping, op dispatch, downloads) ${Math.max(0, wall - kernelMs).toFixed(0)} ms of ${wall.toFixed(0)} ms. ${profile.kernels.length} kernels in all.`,
        '',
        '| kernel | ms in the profiled measurement |',
        '|---|---|',
        ...top.map(([name, ms]) => `| ${name} | ${ms.toFixed(1)} |`),
      ].join('\n'),
    };
  } finally {
    disposeAll(data, probe);
    model.dispose();
  }
}
