import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import type { HubContext } from '../context.js';
import type { HubEnv } from '../http/env.js';

/** GET /metrics: Prometheus text format, for anyone on the hub's network (CONTRACT.md). */
export function metricsRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  app.get('/metrics', async (c) => {
    const { body, contentType } = await ctx.metrics.text();
    return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  });
  return app;
}

/** Times every request by the route pattern that answered it (`unmatched` for unknown paths). */
export const httpMetrics = (ctx: HubContext) =>
  createMiddleware<HubEnv>(async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const handlers = matchedRoutes(c).filter((r) => r.method !== 'ALL');
      const route = handlers.at(-1)?.path ?? 'unmatched';
      ctx.metrics.observeHttp(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
    }
  });
