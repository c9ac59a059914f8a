import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One fresh project (packed, installed once) is shared by every file.
    globalSetup: ['test/global-setup.ts'],
    // The cases train models and run Chromium: one at a time on 2 cores.
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 600_000,
  },
});
