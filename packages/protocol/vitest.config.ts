import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // tfjs kernels on the wasm/cpu backends are slow on 2 shared cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
