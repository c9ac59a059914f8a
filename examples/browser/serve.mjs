// One command for the browser example: build the page, start `gradscope
// serve` (dashboard, REST, websockets) and a static server for the page,
// print both addresses, and serve until Ctrl-C.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '@gradscope/server';
import { build } from 'vite';
import { parseArgs } from '../lib/args.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.map': 'application/json' };

/** Builds the page into examples/browser/dist, as any page that imports @gradscope/tfjs builds: no configuration for gradscope. */
export async function buildPage() {
  const outDir = join(here, 'dist');
  await build({
    root: here,
    base: './',
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      chunkSizeWarningLimit: 4096, // tfjs itself is ~1.5 MB minified
    },
  });
  return outDir;
}

/** Serves `dir` on 127.0.0.1:`port` (0: any free port). Paths cannot leave `dir`. */
export function serveStatic(dir, port) {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end('not found');
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * Starts everything; returns the page's address (which tells the page where
 * the gradscope server is), the dashboard's, and close().
 */
export async function startBrowserExample({ logdir = './gradscope-runs', port = 6007, pagePort = 0, steps = 40, epochs = 3 } = {}) {
  const dist = await buildPage();
  const gradscope = await startServer({ logdir, host: '127.0.0.1', port, portFallback: true, log: null });
  const page = await serveStatic(dist, pagePort);
  const ws = gradscope.url.replace(/^http/, 'ws').replace(/\/$/, '');
  const pageUrl = `http://127.0.0.1:${page.address().port}/?server=${encodeURIComponent(ws)}&steps=${steps}&epochs=${epochs}`;
  return {
    pageUrl,
    dashboardUrl: gradscope.url,
    close: async () => {
      await new Promise((r) => page.close(r));
      await gradscope.close();
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const args = parseArgs(
    { port: 6007, 'page-port': 6010, logdir: './gradscope-runs', steps: 40, epochs: 3 },
    `usage: node examples/browser/serve.mjs [flags]
  --port N        gradscope server port (default 6007, or the next free one)
  --page-port N   port of the example page (default 6010)
  --logdir DIR    where the server stores runs (default ./gradscope-runs)
  --steps N       sequence length the page trains on (default 40)
  --epochs N      epochs per model in the page (default 3)`,
  );
  const started = await startBrowserExample({ logdir: args.logdir, port: args.port, pagePort: args['page-port'], steps: args.steps, epochs: args.epochs });
  console.log(`open the training page → ${started.pageUrl}`);
  console.log(`gradscope dashboard    → ${started.dashboardUrl}`);
  console.log('serving until Ctrl-C');
  const stop = async () => {
    await started.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
