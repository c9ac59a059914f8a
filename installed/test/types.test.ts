// Case 5: the published types in a strict user project, with no @types
// package installed by hand: the README's Node example, and a page's use of
// @gradscope/tfjs under bundler resolution. skipLibCheck is off so that
// every .d.ts gradscope ships is checked; tfjs 4.22's own declarations do
// not pass that check (its users keep skipLibCheck on), so errors inside
// @tensorflow/* and @webgpu/types (and its clash with lib.dom) are set aside,
// and every other error fails.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { run } from './project.js';
import { readmeBlocks } from './readme.js';

const dir = inject('projectDir');
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
/** tsc's error lines, less those inside tfjs's own declarations (and their continuation lines). */
const tsc = async (config: string): Promise<string[]> => {
  const child = run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], dir);
  await child.exited;
  const errors: string[] = [];
  let tfjsOwn = false;
  for (const line of child.output().split('\n')) {
    if (/^\S.*\(\d+,\d+\): error TS/.test(line)) {
      tfjsOwn = /^node_modules\/(@tensorflow\/|@webgpu\/|typescript\/lib\/)/.test(line);
      if (!tfjsOwn) errors.push(line);
    } else if (line.trim() && !tfjsOwn) errors.push(line);
  }
  return errors;
};

describe('as installed: TypeScript, strict', () => {
  it("compiles the README's example and the server's API (NodeNext)", async () => {
    const [example] = readmeBlocks('Add it to your project', 'ts');
    writeFileSync(join(dir, 'readme-example.mts'), example!);
    // …and the server's public API, whose types must not need @types/ws or @types/express.
    writeFileSync(
      join(dir, 'server-example.mts'),
      [
        "import { startServer, openWebSocket } from '@gradscope/server';",
        "const server = await startServer({ logdir: 'runs', port: 0 });",
        "const socket = openWebSocket(server.url.replace('http', 'ws') + 'ws/subscribe');",
        'socket.onopen = () => socket.close();',
        'await server.close();',
      ].join('\n'),
    );
    copyFileSync(fixture('tsconfig.node.json'), join(dir, 'tsconfig.node.json'));
    expect(await tsc('tsconfig.node.json')).toEqual([]);
  });

  it('compiles a page that uses @gradscope/tfjs (bundler resolution)', async () => {
    writeFileSync(
      join(dir, 'page-example.ts'),
      [
        "import * as tf from '@tensorflow/tfjs';",
        "import { gradscope, measureModel, withClipping, type GradscopeOptions } from '@gradscope/tfjs';",
        'const xs = tf.randomNormal([8, 10, 2]);',
        'const model = tf.sequential({ layers: [tf.layers.gru({ units: 4, inputShape: [10, 2] }), tf.layers.dense({ units: 1 })] });',
        "model.compile({ optimizer: withClipping(tf.train.sgd(0.1), { clipValue: 1 }), loss: 'meanSquaredError' });",
        "const options: GradscopeOptions = { probe: { xs }, url: 'ws://127.0.0.1:6007' };",
        'export const monitor = gradscope(options);',
        'export const layers = measureModel(model, { xs });',
      ].join('\n'),
    );
    copyFileSync(fixture('tsconfig.bundler.json'), join(dir, 'tsconfig.bundler.json'));
    expect(await tsc('tsconfig.bundler.json')).toEqual([]);
  });
});
