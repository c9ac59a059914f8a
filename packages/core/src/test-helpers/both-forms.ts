import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { LanczosResult } from '../lanczos.js';
import type { LanczosScalars } from '../lanczos-scalars.js';

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
