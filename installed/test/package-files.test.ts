// What an installed package's files point to is in the package: a
// `//# sourceMappingURL=` comment naming a map that `files` left out of the
// tarball makes a user's Vite dev server print an error for every such file
// (75 of them in a page that imports @gradscope/tfjs, found by a review).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const dir = inject('projectDir');

/** Every .js, .mjs, .cjs, .css and .d.ts file under `root`. */
function codeFiles(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : codeFiles(path);
    return /\.(m?js|cjs|css|d\.ts)$/.test(name) ? [path] : [];
  });
}

describe('as installed: the packages are self-contained', () => {
  it('no file names a source map the package does not ship', () => {
    const scope = join(dir, 'node_modules', '@gradscope');
    const files = readdirSync(scope).flatMap((pkg) => codeFiles(join(scope, pkg)));
    expect(files.length).toBeGreaterThan(50);
    const dangling = files.flatMap((file) => {
      const map = /\/[/*]# sourceMappingURL=(\S+?)(?:\s*\*\/)?\s*$/m.exec(readFileSync(file, 'utf8'))?.[1];
      if (!map || map.startsWith('data:')) return [];
      return existsSync(join(dirname(file), map)) ? [] : [`${file.slice(scope.length + 1)} → ${map}`];
    });
    expect(dangling).toEqual([]);
  });
});
