import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import { allow, requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { ok, page } from '../http/respond.js';
import { body, param, query } from '../http/validate.js';
import { auditBusinessBody, businessListQuery, createBusinessBody } from '../schemas/business.js';
import { idParam } from '../schemas/common.js';

/** Business namespaces (/v1/business). */
export function businessRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const auth = requireUser(ctx);
  const id = idParam('id');

  app.post('/v1/business', auth, allow('business.create'), async (c) => {
    const b = await ctx.businesses.create(c.get('caller'), await body(c, createBusinessBody));
    ctx.log.info('business created', { businessId: b.id, by: b.userId });
    return ok(c, { data: b });
  });

  app.get('/v1/business', auth, allow('business.read'), (c) => {
    const q = query(c, businessListQuery);
    const r = ctx.businesses.list(c.get('caller'), q);
    return page(c, { items: r.items.map(({ introduce, objective, scale, ...rest }) => rest), total: r.total });
  });

  app.get('/v1/business/id/:id', auth, allow('business.read'), (c) => ok(c, { data: ctx.businesses.get(c.get('caller'), param(c, 'id', id)) }));

  app.put('/v1/business/id/:id', auth, allow('business.audit'), async (c) => {
    const bid = param(c, 'id', id);
    const b = await body(c, auditBusinessBody);
    return ok(c, { data: await ctx.businesses.audit(c.get('caller'), bid, b.status, b.comment) });
  });

  app.delete('/v1/business/id/:id', auth, allow('business.delete'), async (c) => {
    await ctx.businesses.remove(c.get('caller'), param(c, 'id', id));
    return ok(c);
  });

  return app;
}
