// Runs once before the test files: the browser test needs Debian's chromium.
// On a fresh root Debian machine (CI: `npm ci && npm test`) it is installed
// here with apt-get; anywhere else the run stops with a message saying how to
// get it. Never `playwright install`: we drive the system browser.
// @ts-expect-error plain .mjs script, also runnable by hand: node scripts/ensure-chromium.mjs
import { ensureChromium } from '../scripts/ensure-chromium.mjs';

export default function setup(): void {
  (ensureChromium as () => string)();
}
