import { defineConfig } from 'vitest/config';

/**
 * The Lanczos suites again with the coefficients' arithmetic on the device
 * (lanczos-scalars.ts): the form WebGL and WebGPU run, which the cpu
 * backend of these tests would otherwise never choose. `npm test` runs
 * this after the main configuration.
 */
export default defineConfig({
  test: {
    include: [
      'src/lanczos-scalars.device-check.ts',
      'src/lanczos*.test.ts',
      'src/gram-lanczos*.test.ts',
      'src/spectral-norm.test.ts',
      'src/warm-stop.test.ts',
      'src/analyze-sequence.test.ts',
    ],
    setupFiles: ['src/test-helpers/device-form.setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
