// Runs once before the test files: Chromium for the browser cases, and the
// fresh project (packed tarballs installed from scratch) that every file uses.
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain .mjs script shared with the dashboard's browser tests
import { ensureChromium } from '../../dashboard/scripts/ensure-chromium.mjs';
import { createProject } from './project.js';

declare module 'vitest' {
  export interface ProvidedContext {
    projectDir: string;
    tarballs: string[];
  }
}

export default function setup(project: TestProject): () => void {
  (ensureChromium as () => string)();
  // GRADSCOPE_INSTALLED_DIR reuses a project kept by GRADSCOPE_KEEP_INSTALLED=1 (faster when editing a test).
  const reuse = process.env.GRADSCOPE_INSTALLED_DIR;
  const started = Date.now();
  if (reuse) console.log(`[installed] reusing ${reuse} (GRADSCOPE_INSTALLED_DIR): its packages are those packed when it was made, not this tree's`);
  else console.log('[installed] packing every published package and installing the tarballs into a fresh project…');
  const { dir, tarballs } = reuse ? { dir: reuse, tarballs: [] } : createProject();
  if (!reuse) console.log(`[installed] ${dir} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  project.provide('projectDir', dir);
  project.provide('tarballs', tarballs);
  return () => {
    if (!process.env.GRADSCOPE_KEEP_INSTALLED && !reuse) rmSync(dir, { recursive: true, force: true });
  };
}
