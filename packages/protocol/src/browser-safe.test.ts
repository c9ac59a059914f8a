import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = dirname(fileURLToPath(import.meta.url));

/** Every module reachable from `entry` by relative imports, and the bare/node imports they make. */
function importGraph(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(join(src, file), 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(spec.replace(/^\.\//, '').replace(/\.js$/, '.ts'));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files, external };
}

describe('packaging', () => {
  it('the main entry imports nothing outside the package (browser-safe, no node:fs)', () => {
    const { files, external } = importGraph('index.ts');
    expect([...external]).toEqual([]);
    expect([...files].some((f) => f.startsWith('node'))).toBe(false);
  });

  it('the node entry is where node: modules live', () => {
    const { external } = importGraph('node.ts');
    expect([...external].every((s) => s.startsWith('node:'))).toBe(true);
  });

  it('has no runtime dependencies and exports both entries with types', () => {
    const pkg = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    // Only Node resolves the node entry: a bundler building a page fails loudly instead of shimming node:fs.
    expect(pkg.exports['./node']).toEqual({ types: './dist/node.d.ts', node: './dist/node.js' });
  });
});
