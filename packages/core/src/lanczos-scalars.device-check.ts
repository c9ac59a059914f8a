import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultLanczosScalars } from './lanczos-scalars.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Run by vitest.device.config.ts only: that the suites it runs take the device form, on a backend that would choose the host's.
describe('the device-form run of the Lanczos suites', () => {
  it('takes the device form on the cpu backend', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(defaultLanczosScalars()).toBe('device');
  });
});
