import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (file: string) => fileURLToPath(new URL(`../${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Test against the sibling packages' sources, so a change in core is
    // tested here without a build in between (typecheck still uses dist).
    alias: [
      { find: /^@gradscope\/core$/, replacement: source('core/src/index.ts') },
      { find: /^@gradscope\/protocol$/, replacement: source('protocol/src/index.ts') },
      { find: /^@gradscope\/protocol\/node$/, replacement: source('protocol/src/node.ts') },
    ],
  },
  test: {
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-helpers/node-platform.ts'],
    // tfjs kernels on the wasm/cpu backends are slow on 2 shared cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
