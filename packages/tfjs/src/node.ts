// @gradscope/tfjs in Node (the `node` export condition): the same API as
// ./index.ts, with the Node platform installed first — logdir files, the
// embedded dashboard server, the ws client, the wasm backend.
import { installPlatform } from './platform/platform.js';
import { nodePlatform } from './platform/node/node-platform.js';

installPlatform(nodePlatform);

export * from './index.js';
