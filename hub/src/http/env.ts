import type { HttpBindings } from '@hono/node-server';
import type { Caller } from '../services/users.js';

/** Hono generics for every route: node bindings (optional in app.request() tests) and per-request variables. */
export interface HubEnv {
  Bindings: Partial<HttpBindings>;
  Variables: { caller: Caller; requestId: string };
}
