import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import type { HubEnv } from '../http/env.js';
import { buildOpenApi } from '../services/openapi.js';
import { ROUTES } from './openapi-table.js';

/** GET /v1/openapi.json: the OpenAPI 3.1 document, generated once from the route table and its zod schemas. */
export function openapiRoutes(_ctx: HubContext) {
  const app = new Hono<HubEnv>();
  let doc: string | undefined;
  app.get('/v1/openapi.json', (c) => {
    doc ??= JSON.stringify(buildOpenApi(ROUTES));
    return c.body(doc, 200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' });
  });
  return app;
}
