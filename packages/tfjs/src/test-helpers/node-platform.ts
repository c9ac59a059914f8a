// Tests import the package's modules directly, not through its entries: run
// them on the Node platform, as the `node` entry (src/node.ts) would.
import { installPlatform } from '../platform/platform.js';
import { nodePlatform } from '../platform/node/node-platform.js';

installPlatform(nodePlatform);
