import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import { allow, requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { ok } from '../http/respond.js';
import { body } from '../http/validate.js';
import { settingsBody } from '../schemas/settings.js';

/** The hub settings (ours): the system admin reads and changes them; everyone sees them in GET /v1/authorization. */
export function settingsRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const auth = requireUser(ctx);

  app.get('/v1/admin/settings', auth, allow('settings.write'), (c) => ok(c, { data: ctx.store.settings() }));

  app.put('/v1/admin/settings', auth, allow('settings.write'), async (c) => {
    const b = await body(c, settingsBody);
    const before = ctx.store.settings();
    const patch = Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined));
    const after = await ctx.store.updateSettings(patch);
    const changed = Object.fromEntries(Object.entries(patch).filter(([k, v]) => before[k as keyof typeof before] !== v));
    if (Object.keys(changed).length > 0) ctx.log.info('hub settings changed', { by: c.get('caller').user.id, ...changed });
    return ok(c, { data: after });
  });

  return app;
}
