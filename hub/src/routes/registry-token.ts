import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import type { HubEnv } from '../http/env.js';
import { clientIp } from '../http/respond.js';
import { query } from '../http/validate.js';
import { registryTokenQuery } from '../schemas/repository.js';
import { splitScopes } from '../registry/scope.js';

/** `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The registry's token service (extension, docs/api.md): the registry runs with `auth.token.realm`
 * pointing here, Docker clients come with their registry account and get a short-lived signed token.
 * Answers the envelope plus the Docker token fields (`token`, `access_token`, `expires_in`, `issued_at`).
 */
export function registryTokenRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();

  app.get('/v1/registry/token', async (c) => {
    const q = query(c, registryTokenQuery);
    const t = await ctx.registryAccounts.issue({
      credentials: basicCredentials(c.req.header('authorization')),
      ip: clientIp(c),
      service: q.service,
      scopes: splitScopes(c.req.queries('scope') ?? []),
    });
    c.header('Cache-Control', 'no-store');
    // Docker reads token/access_token, expires_in and issued_at at the top level.
    return c.json({
      code: 200,
      message: 'success',
      token: t.token,
      access_token: t.token,
      expires_in: t.expiresIn,
      issued_at: t.issuedAt,
      data: { access: t.access },
    });
  });

  return app;
}
