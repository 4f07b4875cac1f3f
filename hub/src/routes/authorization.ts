import { Hono, type Context } from 'hono';
import type { HubContext } from '../context.js';
import { requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { clientIp, ok } from '../http/respond.js';
import { body } from '../http/validate.js';
import { loginBody } from '../schemas/users.js';
import { assertCan } from '../services/permissions.js';

/** Login, token refresh, logout and "who am I" (/v1/authorization). */
export function authorizationRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const auth = requireUser(ctx);

  app.post('/v1/authorization', async (c) => {
    const b = await body(c, loginBody);
    const token = await ctx.users.login(b.user, b.password, clientIp(c));
    return ok(c, { token });
  });

  app.put('/v1/authorization', auth, async (c) => {
    const caller = c.get('caller');
    assertCan(caller.role, 'session.use');
    return ok(c, { token: await ctx.users.refresh(caller) });
  });

  const logout = async (c: Context<HubEnv>) => {
    await ctx.users.logout(c.get('caller'));
    return ok(c);
  };
  app.delete('/v1/authorization', auth, logout);
  app.delete('/v1/authorizations', auth, logout);

  app.get('/v1/authorization', auth, (c) => {
    const caller = c.get('caller');
    assertCan(caller.role, 'session.use');
    return ok(c, { data: ctx.users.info(caller, ctx.registryAccounts.hasAccount(caller.user.id)) });
  });

  return app;
}
