// Tests import the package's modules directly, not through its entries: run
// them on the Node platform, as the `node` entry (src/node.ts) would.
import { afterEach } from 'vitest';
import { installPlatform } from '../platform/platform.js';
import { nodePlatform } from '../platform/node/node-platform.js';
import { measureWorkersLeft } from './measure-workers-left.js';

installPlatform(nodePlatform);

// A run's end waits only so long for its worker to exit, and a run started while one is still exiting measures on
// the training thread (node-measure-worker.ts): on a busy machine one test's worker could decide where the next
// test's run measures. Each test starts once the workers before it have gone.
afterEach(async () => {
  await measureWorkersLeft();
});
