import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Test against the sibling packages' sources, so a change in core is
    // tested here without a build in between (typecheck still uses dist).
    alias: { '@gradscope/core': source('core'), '@gradscope/protocol': source('protocol') },
  },
  test: {
    include: ['src/**/*.test.ts'],
    // tfjs kernels on the wasm/cpu backends are slow on 2 shared cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
