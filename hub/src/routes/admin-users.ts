import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import { allow, requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { ok, page } from '../http/respond.js';
import { body, param, query } from '../http/validate.js';
import { idParam } from '../schemas/common.js';
import { auditUserBody, resetPasswordBody, subUserBody, userListQuery } from '../schemas/users.js';
import { publicUser } from '../services/users.js';

/** User administration by business and system administrators (/v1/admin/user). */
export function adminUserRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const auth = requireUser(ctx);
  const userId = idParam('userId');

  app.get('/v1/admin/user', auth, allow('admin.user.list'), (c) => {
    const r = ctx.users.list(c.get('caller'), query(c, userListQuery));
    return page(c, { items: r.items.map(publicUser), total: r.total });
  });

  app.post('/v1/admin/user', auth, allow('admin.user.create'), async (c) => {
    const caller = c.get('caller');
    const input = await body(c, subUserBody);
    const u = await ctx.users.createSubUser(caller, input);
    ctx.log.info('user created', { userId: u.id, user: u.user, by: caller.user.id });
    return ok(c, { data: publicUser(u) });
  });

  app.delete('/v1/admin/user/:userId', auth, allow('admin.user.delete'), async (c) => {
    const id = param(c, 'userId', userId);
    await ctx.users.remove(c.get('caller'), id);
    ctx.log.info('user deleted', { userId: id, by: c.get('caller').user.id });
    return ok(c);
  });

  app.put('/v1/admin/user/:userId/password', auth, allow('admin.user.resetPassword'), async (c) => {
    const id = param(c, 'userId', userId);
    const b = await body(c, resetPasswordBody);
    await ctx.users.resetPassword(c.get('caller'), id, b.password);
    ctx.log.info('password reset', { userId: id, by: c.get('caller').user.id });
    return ok(c);
  });

  app.put('/v1/admin/user/:userId', auth, allow('admin.user.audit'), async (c) => {
    const id = param(c, 'userId', userId);
    const b = await body(c, auditUserBody);
    const u = await ctx.users.audit(c.get('caller'), id, b.status);
    ctx.log.info('user audited', { userId: id, status: b.status });
    return ok(c, { data: publicUser(u) });
  });

  return app;
}
