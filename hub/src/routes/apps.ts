import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import { allow, requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { ok, page } from '../http/respond.js';
import { body, param, query } from '../http/validate.js';
import { alertListQuery, appGetQuery, appListQuery, appNameParam, createAppBody, deployAuditBody, deployBody, deployListQuery, logQuery } from '../schemas/apps.js';
import { idParam } from '../schemas/common.js';

/** Application Management: apps, deploys (audit, instances, logs) and alerts. */
export function appRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const auth = requireUser(ctx);
  const deployId = idParam('id');

  app.post('/v1/app', auth, allow('app.write'), async (c) => ok(c, { data: await ctx.apps.create(c.get('caller'), await body(c, createAppBody)) }));
  app.get('/v1/app', auth, allow('app.read'), (c) => page(c, ctx.apps.list(c.get('caller'), query(c, appListQuery))));
  app.get('/v1/app/:appName', auth, allow('app.read'), (c) =>
    ok(c, { data: ctx.apps.get(c.get('caller'), param(c, 'appName', appNameParam), query(c, appGetQuery).businessId) }),
  );
  app.delete('/v1/app/:appName', auth, allow('app.write'), async (c) => {
    await ctx.apps.remove(c.get('caller'), param(c, 'appName', appNameParam));
    return ok(c);
  });

  app.post('/v1/deploy', auth, allow('deploy.create'), async (c) => {
    const d = await ctx.deploys.create(c.get('caller'), await body(c, deployBody));
    return ok(c, { data: ctx.deploys.view(d) });
  });
  app.get('/v1/deploy', auth, allow('deploy.read'), (c) => page(c, ctx.deploys.list(c.get('caller'), query(c, deployListQuery))));
  app.get('/v1/deploy/:id', auth, allow('deploy.read'), (c) => ok(c, { data: ctx.deploys.get(c.get('caller'), param(c, 'id', deployId)) }));
  app.put('/v1/deploy/:id', auth, allow('deploy.audit'), async (c) => {
    const id = param(c, 'id', deployId);
    const b = await body(c, deployAuditBody);
    const d = await ctx.deploys.audit(c.get('caller'), id, b.status, b.auditComment);
    return ok(c, { data: ctx.deploys.view(d) });
  });
  app.delete('/v1/deploy/:id', auth, allow('deploy.delete'), async (c) => {
    await ctx.deploys.remove(c.get('caller'), param(c, 'id', deployId));
    return ok(c);
  });
  app.get('/v1/deploy/:id/log', auth, allow('deploy.read'), async (c) => {
    const id = param(c, 'id', deployId);
    const q = query(c, logQuery);
    return ok(c, { data: await ctx.deploys.logs(c.get('caller'), id, q.nodeName, q.tail) });
  });

  app.get('/v1/alert', auth, allow('alert.read'), (c) => page(c, ctx.alerts.list(c.get('caller'), query(c, alertListQuery))));

  return app;
}
