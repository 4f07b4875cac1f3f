import { Hono } from 'hono';
import type { HubContext } from '../context.js';
import { allow, requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { ok } from '../http/respond.js';
import { body, param, query } from '../http/validate.js';
import { fleetName, nodeDeleteQuery, nodeLabelBody, nodeLabelDeleteBody, nodeLabelsQuery, nodeListQuery } from '../schemas/fleet.js';

/** Node Management (/v1/node). */
export function nodeRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  const auth = requireUser(ctx);

  app.get('/v1/node', auth, allow('node.read'), (c) => {
    const q = query(c, nodeListQuery);
    const r = ctx.nodes.list(c.get('caller'), { ...q, fields: q.field });
    return ok(c, { data: r.items, total: r.total, meta: { readyNodeCount: r.readyNodeCount } });
  });

  app.post('/v1/node/label', auth, allow('node.label'), async (c) => {
    const b = await body(c, nodeLabelBody);
    await ctx.nodes.addLabel(c.get('caller'), b.clusterName, b.nodeName, b.nodeLabel);
    void ctx.workloads.tick();
    return ok(c);
  });

  app.delete('/v1/node/label', auth, allow('node.label'), async (c) => {
    const b = await body(c, nodeLabelDeleteBody);
    const nodes = await ctx.nodes.removeLabel(c.get('caller'), b.clusterName, b.nodeName, b.nodeLabel);
    if (b.deleteDeploy) await ctx.workloads.removeFromNodes(b.nodeLabel, new Set(nodes.map((n) => n.id)));
    void ctx.workloads.tick();
    return ok(c);
  });

  app.get('/v1/node/label', auth, allow('node.read'), (c) => ok(c, { data: ctx.nodes.labels(c.get('caller'), query(c, nodeLabelsQuery).clusterName) }));

  app.delete('/v1/node/:nodeName', auth, allow('node.delete'), async (c) => {
    const name = param(c, 'nodeName', fleetName('nodeName'));
    await ctx.nodes.remove(c.get('caller'), query(c, nodeDeleteQuery).clusterName, name);
    return ok(c);
  });

  return app;
}
