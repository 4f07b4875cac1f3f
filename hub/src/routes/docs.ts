import { join } from 'node:path';
import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import type { HubEnv } from '../http/env.js';
import { DOCS_CSP, PUBLIC_DIR, SWAGGER_DIR } from '../web/assets.js';
import { sendAsset } from './dashboard.js';

/** swagger-ui-dist files the page uses (served from node_modules, never a CDN). */
const SWAGGER_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

/** GET /docs: Swagger UI on /v1/openapi.json. */
export function docsRoutes(_ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const page = join(PUBLIC_DIR, 'docs', 'index.html');
  app.get('/docs', (c) => sendAsset(c, page, DOCS_CSP));
  app.get('/docs/', (c) => sendAsset(c, page, DOCS_CSP));
  app.get('/docs/init.js', (c) => sendAsset(c, join(PUBLIC_DIR, 'docs', 'init.js'), DOCS_CSP));
  app.get('/docs/:file', (c) => {
    const file = c.req.param('file');
    if (!SWAGGER_FILES.has(file)) return c.json({ code: 404, message: `no such docs file: ${file}` }, 404);
    return sendAsset(c, join(SWAGGER_DIR, file), DOCS_CSP, 'public, max-age=3600');
  });
  return app;
}
