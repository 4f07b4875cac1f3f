import { createMiddleware } from 'hono/factory';
import type { HubContext } from '../context.js';
import { unauthorized } from '../errors.js';
import { assertCan, type Action } from '../services/permissions.js';
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

/** Refuses (403) a caller whose role may not take `action`, before the body is even read. */
export const allow = (action: Action) =>
  createMiddleware<HubEnv>(async (c, next) => {
    assertCan(c.get('caller').role, action);
    await next();
  });
