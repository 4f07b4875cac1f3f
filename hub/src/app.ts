import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { HubContext } from './context.js';
import { AppError } from './errors.js';
import type { HubEnv } from './http/env.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { appRoutes } from './routes/apps.js';
import { authorizationRoutes } from './routes/authorization.js';
import { businessRoutes } from './routes/business.js';
import { clusterRoutes } from './routes/clusters.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { docsRoutes } from './routes/docs.js';
import { eventRoutes } from './routes/events.js';
import { httpMetrics, metricsRoutes } from './routes/metrics.js';
import { nodeRoutes } from './routes/nodes.js';
import { openapiRoutes } from './routes/openapi.js';
import { registryTokenRoutes } from './routes/registry-token.js';
import { repositoryRoutes } from './routes/repository.js';
import { settingsRoutes } from './routes/settings.js';
import { userRoutes } from './routes/users.js';
import { StoreWriteError } from './store/types.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = (c: Context, headers?: Record<string, string>) => c.json({ code: 413, message: `body must be at most ${MAX_BODY_BYTES} bytes` }, 413, headers);

/** The hub's HTTP application, without listen(): tests call app.request(). */
export function createApp(ctx: HubContext) {
  const app = new Hono<HubEnv>();

  app.use('*', async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    ctx.log.debug('request', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  });
  app.use('*', httpMetrics(ctx));
  app.use('*', secureHeaders());
  // A declared length over the limit is refused before any of the body is read: Node's fetch
  // then reliably sees the 413 (the streaming limit below alone raced with the upload).
  app.use('*', async (c, next) => {
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > MAX_BODY_BYTES) {
      return tooLarge(c, { Connection: 'close' });
    }
    await next();
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => tooLarge(c),
    }),
  );

  app.route('/', authorizationRoutes(ctx));
  app.route('/', userRoutes(ctx));
  app.route('/', adminUserRoutes(ctx));
  app.route('/', settingsRoutes(ctx));
  app.route('/', businessRoutes(ctx));
  app.route('/', clusterRoutes(ctx));
  app.route('/', nodeRoutes(ctx));
  app.route('/', appRoutes(ctx));
  app.route('/', repositoryRoutes(ctx));
  app.route('/', registryTokenRoutes(ctx));
  app.route('/', eventRoutes(ctx));
  app.route('/', metricsRoutes(ctx));
  app.route('/', openapiRoutes(ctx));
  app.route('/', docsRoutes(ctx));
  app.route('/', dashboardRoutes(ctx));

  app.notFound((c) => c.json({ code: 404, message: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));

  app.onError((err, c) => {
    if (err instanceof AppError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return c.json({ code: err.status, message: err.message }, err.status);
    }
    if (err instanceof StoreWriteError) {
      ctx.log.error('write refused', { requestId: c.get('requestId'), error: err.message });
      return c.json({ code: 503, message: err.message }, 503);
    }
    if (err instanceof HTTPException && err.status < 500) {
      return c.json({ code: err.status, message: err.message || 'bad request' }, err.status);
    }
    ctx.log.error('unhandled error', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    return c.json({ code: 500, message: `internal error (request ${c.get('requestId')})` }, 500);
  });

  return app;
}
