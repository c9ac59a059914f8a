/**
 * The built dashboard as static files, with index.html for unknown non-API
 * paths (the app routes on the client). When it is not built, `/` says so
 * and how to build it, instead of a bare 404.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';

/** dashboard/dist of this repository, from packages/server/dist (or src when run from sources). */
export function defaultDashboardDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dashboard', 'dist');
}

const notBuilt = (dir: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>gradscope</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>gradscope server is running</h1>
<p>The dashboard is not built yet: no <code>index.html</code> in <code>${dir.replace(/[<>&]/g, '')}</code>.</p>
<p>Build it with <code>npm run build</code> at the repository root (or <code>npm run build -w @gradscope/dashboard</code>),
then reload this page, or point the server elsewhere with <code>gradscope serve --dashboard DIR</code>.</p>
<p>The API works meanwhile: <a href="/api/runs">/api/runs</a>, <a href="/api/health">/api/health</a>.</p>
</body></html>
`;

export function mountDashboard(app: Express, dir: string): void {
  // Checked per request: the dashboard may be built while the server runs.
  const built = () => existsSync(join(dir, 'index.html'));
  const files = express.static(dir, { index: 'index.html' });
  app.use((req, res, next) => (built() ? files(req, res, next) : next()));
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/api/') || req.path.startsWith('/ws/')) return next();
    if (!built()) return res.status(req.path === '/' ? 200 : 404).type('html').send(notBuilt(dir));
    res.sendFile(join(dir, 'index.html'));
  });
}
