/**
 * The built dashboard as static files, with index.html for unknown non-API
 * paths (the app routes on the client). When it is missing, `/` says so
 * and how to get it, instead of a bare 404.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';

const notBuilt = (dir: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>gradscope</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>gradscope server is running</h1>
<p>No dashboard here: no <code>index.html</code> in <code>${dir.replace(/[<>&]/g, '')}</code>.</p>
<p>The dashboard comes with the <code>@gradscope/dashboard</code> package, which <code>gradscope</code> installs
(<code>npm install gradscope</code>). In a checkout of the gradscope repository, <code>npm run build</code> builds it.
Or point the server at a built dashboard with <code>gradscope serve --dashboard DIR</code>, then reload this page.</p>
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
