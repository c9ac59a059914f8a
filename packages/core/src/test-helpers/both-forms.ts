import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { LanczosResult, LanczosSettings } from '../lanczos.js';
import type { LanczosScalars } from '../lanczos-scalars.js';
import type { BatchedOperator } from '../operator.js';
import { spectralNormSettings } from '../spectral-norm.js';
import { maxRelativeError } from './linalg64.js';

export interface FormRun {
  result: LanczosResult;
  /** The returned vectors, read back (the tensor is disposed), or null. */
  vectors: Float32Array | null;
}

/** `run` in both forms of lanczos-scalars.ts, each checked to leave no tensor behind. */
export async function bothForms(run: (scalars: LanczosScalars) => Promise<LanczosResult>): Promise<Record<LanczosScalars, FormRun>> {
  const once = async (scalars: LanczosScalars): Promise<FormRun> => {
    const before = tf.memory().numTensors;
    const result = await run(scalars);
    const vectors = result.vectors ? Float32Array.from(result.vectors.dataSync()) : null;
    result.vectors?.dispose();
    expect(tf.memory().numTensors, `tensors left by the ${scalars} form`).toBe(before);
    return { result, vectors };
  };
  return { host: await once('host'), device: await once('device') };
}

/**
 * The same values, element by element: equal as numbers (so −0 equals 0:
 * the device form adds 0·restart to rows that did not break down, which
 * turns a −0 into 0) or both NaN; the first differing index in the message.
 */
export function expectSameValues(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  const differs = Array.from(a).findIndex((x, i) => !(x === b[i] || (Number.isNaN(x) && Number.isNaN(b[i] as number))));
  expect(differs, `first difference at ${differs}: ${a[differs]} against ${b[differs]}`).toBe(-1);
}

/** Both forms' results agree: σ, steps, work and vectors. */
export function expectFormsAgree(forms: Record<LanczosScalars, FormRun>): void {
  const { host, device } = forms;
  expectSameValues(host.result.sigma, device.result.sigma);
  expect(host.result.steps).toBe(device.result.steps);
  expect(host.result.work).toBe(device.result.work);
  expect(host.vectors === null).toBe(device.vectors === null);
  if (host.vectors && device.vectors) expectSameValues(host.vectors, device.vectors);
}

/**
 * A cold run and a run warm-started from its vectors, each in both forms:
 * the forms agree, and σ is within `coldBar` (cold) and 1e-5 (warm, the
 * warm bar) of `exact`, a float64 SVD the test made, not either form.
 */
export async function expectColdAndWarmAgree(
  op: BatchedOperator,
  exact: number[],
  run: (settings: LanczosSettings, scalars: LanczosScalars) => Promise<LanczosResult>,
  coldBar = 2e-6,
): Promise<void> {
  const cold = await bothForms((scalars) => run(spectralNormSettings('test', op, {}, 'approximate'), scalars));
  expectFormsAgree(cold);
  expect(maxRelativeError(Array.from(cold.host.result.sigma), exact)).toBeLessThan(coldBar);
  const start = tf.tensor3d(cold.host.vectors!, [op.batch, 1, op.size]);
  try {
    const warm = await bothForms((scalars) => run(spectralNormSettings('test', op, { start }, 'approximate'), scalars));
    expectFormsAgree(warm);
    expect(maxRelativeError(Array.from(warm.host.result.sigma), exact)).toBeLessThan(1e-5);
  } finally {
    start.dispose();
  }
}
