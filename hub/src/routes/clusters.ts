import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import { allow, requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { ok, page } from '../http/respond.js';
import { body, param, query } from '../http/validate.js';
import { clusterLabelBody, clusterLabelsQuery, clusterListQuery, fleetName, joinTokenBody } from '../schemas/fleet.js';

/** Cluster Management (/v1/cluster) and join tokens. */
export function clusterRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const auth = requireUser(ctx);

  app.get('/v1/cluster', auth, allow('cluster.read'), (c) => page(c, ctx.clusters.list(c.get('caller'), query(c, clusterListQuery))));

  app.post('/v1/cluster/label', auth, allow('cluster.label'), async (c) => {
    const b = await body(c, clusterLabelBody);
    await ctx.clusters.addLabel(c.get('caller'), b.clusterName, b.clusterLabel);
    return ok(c);
  });

  app.delete('/v1/cluster/label', auth, allow('cluster.label'), async (c) => {
    const b = await body(c, clusterLabelBody);
    await ctx.clusters.removeLabel(c.get('caller'), b.clusterName, b.clusterLabel);
    return ok(c);
  });

  app.get('/v1/cluster/label', auth, allow('cluster.read'), (c) => ok(c, { data: ctx.clusters.allLabels(c.get('caller')) }));

  app.get('/v1/cluster/label/:clusterName', auth, allow('cluster.read'), (c) => {
    const name = param(c, 'clusterName', fleetName('clusterName'));
    return page(c, ctx.clusters.labelsOf(c.get('caller'), name, query(c, clusterLabelsQuery)));
  });

  app.post('/v1/cluster/token', auth, allow('cluster.token'), async (c) => {
    const b = await body(c, joinTokenBody);
    return ok(c, { data: { token: await ctx.clusters.joinToken(c.get('caller'), b.clusterName, b.ttlSeconds) } });
  });

  return app;
}
