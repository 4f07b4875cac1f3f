import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import type { HubContext } from '../context.js';
import type { HubEnv } from '../http/env.js';
import { asset, DASHBOARD_CSP, PUBLIC_DIR } from '../web/assets.js';

/** The dashboard's files; nothing else under /dashboard is served. */
const FILES = new Set(['app.js', 'style.css', 'favicon.svg']);

/** Serves a file with the dashboard's security headers. */
export function sendAsset(c: Context<HubEnv>, file: string, csp: string, cache = 'no-cache') {
  const a = asset(file);
  return c.body(a.body as Uint8Array<ArrayBuffer>, 200, {
    'Content-Type': a.type,
    'Content-Security-Policy': csp,
    'Cache-Control': cache,
    'X-Content-Type-Options': 'nosniff',
  });
}

/** GET /: the fleet dashboard (plain HTML, CSS and an ES module; data comes from the API). */
export function dashboardRoutes(_ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const dir = join(PUBLIC_DIR, 'dashboard');
  app.get('/', (c) => sendAsset(c, join(dir, 'index.html'), DASHBOARD_CSP));
  app.get('/favicon.ico', (c) => sendAsset(c, join(dir, 'favicon.svg'), DASHBOARD_CSP, 'public, max-age=86400'));
  app.get('/dashboard/:file', (c) => {
    const file = c.req.param('file');
    if (!FILES.has(file)) return c.json({ code: 404, message: `no such dashboard file: ${file}` }, 404);
    return sendAsset(c, join(dir, file), DASHBOARD_CSP);
  });
  return app;
}
