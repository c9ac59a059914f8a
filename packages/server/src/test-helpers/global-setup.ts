/**
 * The CLI tests spawn `bin/gradscope.js`, which runs dist/: build it when a
 * source file is newer (turbo builds only dependencies before tests, and a
 * fresh clone has no dist).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const built = join(root, 'dist', 'cli.js');
  const newest = Math.max(...readdirSync(join(root, 'src')).filter((f) => f.endsWith('.ts')).map((f) => statSync(join(root, 'src', f)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  execFileSync(process.execPath, [join(root, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
