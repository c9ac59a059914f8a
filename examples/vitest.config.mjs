import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    // Each example is a real training run in a child process.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
