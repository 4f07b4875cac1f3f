import { createMiddleware } from 'hono/factory';
import type { HubContext } from '../context.js';
import { unauthorized } from '../errors.js';
import { tokenFromHeader } from '../services/tokens.js';
import type { HubEnv } from './env.js';

/** Requires a valid user token; sets `caller`. */
export const requireUser = (ctx: HubContext) =>
  createMiddleware<HubEnv>(async (c, next) => {
    const token = tokenFromHeader(c.req.header('authorization'));
    if (!token) throw unauthorized('an Authorization header with a token is required');
    c.set('caller', await ctx.users.authenticate(token));
    await next();
  });
