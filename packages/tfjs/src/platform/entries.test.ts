// The package's two entries: the default one (what a bundler sees for a
// page) reaches no Node-only module; the `node` one adds exactly those.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useBestBackend } from '../backend.js';
import { gradscope } from '../monitor/monitor.js';
import { browserPlatform } from './browser-platform.js';
import { nodePlatform } from './node/node-platform.js';
import { installPlatform, platform } from './platform.js';

const src = dirname(dirname(fileURLToPath(import.meta.url)));
const NODE_ONLY = /^(node:|@gradscope\/server|@gradscope\/protocol\/node|@tensorflow\/tfjs-backend-wasm|ws$|express$)/;

/** Every source file reachable from `entry` by relative imports (static and dynamic), and the packages they import. */
function importGraph(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(join(src, file), 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files, external };
}

describe('entries by runtime', () => {
  it('the default entry reaches no Node-only module', () => {
    const { files, external } = importGraph('index.ts');
    expect([...external].filter((s) => NODE_ONLY.test(s))).toEqual([]);
    expect([...files].filter((f) => f.startsWith('platform/node'))).toEqual([]);
  });

  it("the page's measurement worker reaches no Node-only module, and the default entry never reaches Node's", () => {
    // The page's worker is started by URL (new Worker(new URL(…))), not imported: its own graph must be browser-safe too.
    const { files, external } = importGraph('measure-worker/browser-entry.ts');
    expect([...external].filter((s) => NODE_ONLY.test(s))).toEqual([]);
    expect(files.has('measure-worker/measure-handler.ts')).toBe(true);
    expect(readFileSync(join(src, 'platform/browser-measure-worker.ts'), 'utf8')).toContain("new Worker(new URL('../measure-worker/browser-entry.js', import.meta.url), { type: 'module'");
    // The file must exist for its absence from the graph to mean anything (a rename would make this pass vacuously).
    expect(existsSync(join(src, 'measure-worker/node-entry.ts'))).toBe(true);
    expect(importGraph('index.ts').files.has('measure-worker/node-entry.ts')).toBe(false);
  });

  it('the node entry adds the Node platform and its modules', () => {
    const { files, external } = importGraph('node.ts');
    expect(files.has('platform/node/node-platform.ts')).toBe(true);
    expect([...external]).toEqual(expect.arrayContaining(['@gradscope/server', '@gradscope/protocol/node', '@tensorflow/tfjs-backend-wasm']));
  });

  it('package.json sends Node to the node entry and everything else to the default one', () => {
    const pkg = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', node: './dist/node.js', default: './dist/index.js' });
    expect(pkg.peerDependenciesMeta['@gradscope/server']).toEqual({ optional: true });
    expect(pkg.dependencies['@gradscope/server']).toBeUndefined();
  });
});

describe('useBestBackend', () => {
  afterEach(() => installPlatform(nodePlatform));

  it('in a page keeps the backend tfjs chose, even one gradscope would not pick in Node', async () => {
    await tf.setBackend('cpu');
    installPlatform(browserPlatform);
    const lines: string[] = [];
    const choice = await useBestBackend({ log: (l) => lines.push(l) });
    expect(choice.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(lines[0]).toContain('does not switch backends in a page');
  });

  it('in Node selects wasm', async () => {
    await tf.setBackend('cpu');
    expect(platform().name).toBe('node');
    const choice = await useBestBackend({ log: () => {} });
    expect(choice).toEqual({ backend: 'wasm', reason: 'fastest available' });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('names a bad option', async () => {
    await expect(useBestBackend({ prefer: 'gpu' as 'wasm' })).rejects.toThrow("options.prefer must be 'wasm' or 'cpu', got 'gpu'");
  });
});

describe('the browser platform', () => {
  it('writes no files and starts no server', async () => {
    expect(browserPlatform.defaultLogdir).toBe(false);
    expect(await browserPlatform.embeddedServerSink('runs', 'r')).toBeNull();
    await expect(browserPlatform.openLogdirSink('runs', 'r')).rejects.toThrow("option 'logdir' needs Node's file system");
  });

  it('says so when gradscope() is called: a logdir is an error, serve: true without a url a warning', () => {
    installPlatform(browserPlatform);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(() => gradscope({ logdir: 'runs' })).toThrow("option 'logdir' needs Node's file system; in a page leave it unset (or false)");
      gradscope({ serve: true });
      gradscope({ serve: true, url: 'ws://127.0.0.1:6007' });
      gradscope({ logdir: false });
      gradscope();
      expect(warn.mock.calls.map(([m]) => String(m))).toEqual(['gradscope: option serve: true does nothing here (in a page there is no embedded server: run `npx gradscope serve` and pass its address as the url option)']);
    } finally {
      warn.mockRestore();
      installPlatform(nodePlatform);
    }
  });
});
