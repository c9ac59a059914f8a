import * as backends from './backends.mjs';
import * as everyStep from './every-step.mjs';
import * as jacobian from './jacobian.mjs';
import * as measurement from './measurement.mjs';
import * as overhead from './overhead.mjs';
import * as page from './page.mjs';
import * as throughput from './throughput.mjs';

/**
 * Every benchmark: 1–5 of issue 7 (the server's, 6, is measured by
 * @gradscope/server's own benchmark), then 7 and 8 of issue 14.
 */
export const BENCHMARKS = [
  { id: '1', name: 'monitor overhead at default settings', run: overhead.overheadBenchmark, full: overhead.FULL, smoke: overhead.SMOKE },
  { id: '2', name: 'one measurement over one training step', run: measurement.measurementBenchmark, full: measurement.FULL, smoke: measurement.SMOKE },
  { id: '3', name: 'analytic Jacobians over autodiff', run: jacobian.jacobianBenchmark, full: jacobian.FULL, smoke: jacobian.SMOKE },
  { id: '4', name: 'backends: wasm and cpu', run: backends.backendsBenchmark, full: backends.FULL, smoke: backends.SMOKE },
  { id: '5', name: 'throughput against the backend\'s matMul', run: throughput.throughputBenchmark, full: throughput.FULL, smoke: throughput.SMOKE },
  { id: '7', name: 'every step: every 1, with and without the measurement worker, 2 cores and one', run: everyStep.everyStepBenchmark, full: everyStep.FULL, smoke: everyStep.SMOKE },
  { id: '8', name: 'in a page: the longest main-thread task the monitor adds', run: page.pageBenchmark, full: page.FULL, smoke: page.SMOKE },
];
