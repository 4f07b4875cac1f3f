import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import { allow, requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { clientIp, ok } from '../http/respond.js';
import { body } from '../http/validate.js';
import { changePasswordBody, registerBody } from '../schemas/users.js';
import { publicUser } from '../services/users.js';

/** Self-service: registration (no token) and changing one's own password (/v1/user). */
export function userRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();

  app.post('/v1/user', async (c) => {
    const u = await ctx.users.register(await body(c, registerBody));
    ctx.log.info('user registered', { userId: u.id, user: u.user });
    return ok(c, { data: publicUser(u) });
  });

  app.put('/v1/user', requireUser(ctx), allow('user.changeOwnPassword'), async (c) => {
    const b = await body(c, changePasswordBody);
    const token = await ctx.users.changeOwnPassword(c.get('caller'), b.oldPassword, b.password, clientIp(c));
    return ok(c, { token });
  });

  return app;
}
