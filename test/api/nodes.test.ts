import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../hub/src/agents/registry.js';
import { connectNode, enrollNode, sampleFacts } from '../helpers/fleet.js';
import { ADMIN_PASSWORD, ADMIN_USER, makeTestHub, type TestHub } from '../helpers/hub.js';
import { personOf, seedRoles, type RoleFixture } from '../helpers/roles.js';

let hub: TestHub;
let roles: RoleFixture;
let admin: string;
const sessions = new Map<string, Session>();

const GiB = 1024 ** 3;
const GRACE = 15_000;
const tokenOf = (role: number) => personOf(roles, role).token;
const names = (data: { nodeName: string }[]) => data.map((n) => n.nodeName);
const label = (body: unknown) => hub.call('POST', '/v1/node/label', { token: admin, body });
const unlabel = (body: unknown) => hub.call('DELETE', '/v1/node/label', { token: admin, body });

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
  admin = roles.sysAdmin.token;
  // GuangZhou: gz1 ready, gz2 offline. BeiJing: bj1 ready.
  const gz1 = await enrollNode(hub.ctx, 'GuangZhou', 'GZ1', sampleFacts({ ip: '1.2.3.4', kernelVersion: '2.6', cpu: 4, memory: 8 * GiB, gpu: 2 * GiB, disk: 256 * GiB }));
  await enrollNode(hub.ctx, 'GuangZhou', 'GZ2');
  const bj1 = await enrollNode(hub.ctx, 'BeiJing', 'BJ1');
  sessions.set('GZ1', connectNode(hub.ctx, gz1).session);
  sessions.set('BJ1', connectNode(hub.ctx, bj1).session);
});
afterAll(() => hub.cleanup());

describe('GET /v1/node', () => {
  it('lists nodes with the document fields, total and meta.readyNodeCount', async () => {
    const r = await hub.call('GET', '/v1/node', { token: admin });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ code: 200, message: 'success', data: expect.any(Array), total: 3, meta: { readyNodeCount: 2 } });
    expect(names(r.body.data)).toEqual(['BJ1', 'GZ1', 'GZ2']);
    expect(r.body.data[1]).toMatchObject({
      nodeName: 'GZ1',
      clusterName: 'GuangZhou',
      operatingSystem: 'Linux',
      kernelVersion: '2.6',
      ip: '1.2.3.4',
      memory: 8 * GiB,
      cpu: 4,
      gpu: 2 * GiB,
      disk: 256 * GiB,
      isReady: true,
    });
    expect(r.body.data[2]).toMatchObject({ nodeName: 'GZ2', isReady: false });
  });

  it('returns only the fields asked for with field=', async () => {
    const r = await hub.call('GET', '/v1/node?field=nodeName,isReady', { token: admin });
    expect(r.body.data).toEqual([
      { nodeName: 'BJ1', isReady: true },
      { nodeName: 'GZ1', isReady: true },
      { nodeName: 'GZ2', isReady: false },
    ]);
    expect(r.body.meta).toEqual({ readyNodeCount: 2 });
    const one = await hub.call('GET', '/v1/node?field=%20ip%20&nodeName=GZ1', { token: admin });
    expect(one.body.data).toEqual([{ ip: '1.2.3.4' }]);
    const none = await hub.call('GET', '/v1/node?field=', { token: admin });
    expect(Object.keys(none.body.data[0])).toEqual(expect.arrayContaining(['nodeName', 'clusterName', 'isReady', 'memory', 'disk']));
  });

  it('filters by clusterName, nodeName and nodeLabel, counting ready nodes among the matches', async () => {
    const gz = await hub.call('GET', '/v1/node?clusterName=GuangZhou', { token: admin });
    expect(names(gz.body.data)).toEqual(['GZ1', 'GZ2']);
    expect(gz.body).toMatchObject({ total: 2, meta: { readyNodeCount: 1 } });
    const byName = await hub.call('GET', '/v1/node?nodeName=GZ2', { token: admin });
    expect(byName.body).toMatchObject({ total: 1, meta: { readyNodeCount: 0 } });
    await label({ nodeLabel: 'gpu', clusterName: 'GuangZhou', nodeName: ['GZ1', 'GZ2'] });
    const byLabel = await hub.call('GET', '/v1/node?nodeLabel=gpu', { token: admin });
    expect(names(byLabel.body.data)).toEqual(['GZ1', 'GZ2']);
    expect(byLabel.body.meta).toEqual({ readyNodeCount: 1 });
    const both = await hub.call('GET', '/v1/node?nodeLabel=gpu&clusterName=BeiJing', { token: admin });
    expect(both.body).toMatchObject({ data: [], total: 0, meta: { readyNodeCount: 0 } });
    expect((await hub.call('GET', '/v1/node?clusterName=Atlantis', { token: admin })).body).toMatchObject({ data: [], total: 0 });
  });

  it('follows live heartbeats', async () => {
    const ready = async () => (await hub.call('GET', '/v1/node?nodeName=GZ1&field=isReady', { token: admin })).body.data[0].isReady;
    hub.clock.advance(GRACE);
    expect(await ready()).toBe(false);
    expect((await hub.call('GET', '/v1/node', { token: admin })).body.meta).toEqual({ readyNodeCount: 0 });
    hub.ctx.registry.heartbeat(sessions.get('GZ1')!, 1, 3, 4);
    hub.ctx.registry.heartbeat(sessions.get('BJ1')!, 1, 3, 4);
    expect(await ready()).toBe(true);
    const gz1 = (await hub.call('GET', '/v1/node?nodeName=GZ1', { token: admin })).body.data[0];
    expect(gz1).toMatchObject({ cpuLoad: 3, memLoad: 4, lastHeartbeatAgeMs: 0 });
  });

  it.each([
    ['page=abc', /page must be a whole number/],
    ['page=0', /page must be at least 1/],
    ['pageSize=1.5', /pageSize must be a whole number/],
    ['pageSize=100001', /pageSize must be at most/],
    ['field=nodeName,bogus', /field bogus is unknown/],
    ['field=password', /field password is unknown/],
    [`nodeName=${'n'.repeat(64)}`, /nodeName/],
  ])('answers 422 for %s', async (q, message) => {
    const r = await hub.call('GET', `/v1/node?${q}`, { token: admin });
    expect(r.body).toEqual({ code: 422, message: expect.stringMatching(message) });
  });
});

describe('GET /v1/node paging', () => {
  it('pages 10 by default; total and readyNodeCount cover every match', async () => {
    const h = await makeTestHub();
    try {
      const token = await h.login(ADMIN_USER, ADMIN_PASSWORD);
      for (let i = 0; i < 12; i++) {
        const n = await enrollNode(h.ctx, 'c1', `n${String(i).padStart(2, '0')}`);
        if (i % 3 === 0) connectNode(h.ctx, n);
      }
      const p1 = await h.call('GET', '/v1/node', { token });
      expect(p1.body.data).toHaveLength(10);
      expect(p1.body).toMatchObject({ total: 12, meta: { readyNodeCount: 4 } });
      const p2 = await h.call('GET', '/v1/node?page=2', { token });
      expect(names(p2.body.data)).toEqual(['n10', 'n11']);
      const small = await h.call('GET', '/v1/node?page=3&pageSize=5&field=nodeName', { token });
      expect(small.body).toMatchObject({ data: [{ nodeName: 'n10' }, { nodeName: 'n11' }], total: 12, meta: { readyNodeCount: 4 } });
      expect((await h.call('GET', '/v1/node?pageSize=0', { token })).body.data).toHaveLength(12);
      expect((await h.call('GET', '/v1/node?page=9', { token })).body).toMatchObject({ data: [], total: 12 });
    } finally {
      await h.cleanup();
    }
  });
});

describe('node labels', () => {
  it('POST labels the named nodes of a cluster; GET /v1/node/label lists labels per cluster or everywhere', async () => {
    const r = await label({ nodeLabel: 'label1', clusterName: 'GuangZhou', nodeName: ['GZ1'] });
    expect(r.body).toEqual({ code: 200, message: 'success' });
    await label({ nodeLabel: 'label1', clusterName: 'GuangZhou', nodeName: ['GZ1'] });
    await label({ nodeLabel: 'north', clusterName: 'BeiJing', nodeName: ['BJ1'] });
    expect(hub.ctx.store.nodes.byName('GuangZhou', 'GZ1')!.labels.filter((l) => l.label === 'label1')).toHaveLength(1);
    const gz = await hub.call('GET', '/v1/node/label?clusterName=GuangZhou', { token: admin });
    expect(gz.body).toEqual({ code: 200, message: 'success', data: ['gpu', 'label1'] });
    const all = await hub.call('GET', '/v1/node/label', { token: admin });
    expect(all.body.data).toEqual(['gpu', 'label1', 'north']);
    expect((await hub.call('GET', '/v1/node/label?clusterName=Atlantis', { token: admin })).body.data).toEqual([]);
    const view = await hub.call('GET', '/v1/node?nodeName=GZ1&field=labels', { token: admin });
    expect(view.body.data).toEqual([{ labels: ['gpu', 'label1'] }]);
  });

  it('GET /v1/node/label answers 422 for a clusterName longer than a cluster name can be', async () => {
    const r = await hub.call('GET', `/v1/node/label?clusterName=${'c'.repeat(64)}`, { token: admin });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ code: 422, message: expect.stringMatching(/clusterName/) });
  });

  it('DELETE removes a label from the named nodes only, with or without deleteDeploy', async () => {
    await label({ nodeLabel: 'temp', clusterName: 'GuangZhou', nodeName: ['GZ1', 'GZ2'] });
    const r = await unlabel({ nodeLabel: 'temp', clusterName: 'GuangZhou', nodeName: ['GZ1'], deleteDeploy: true });
    expect(r.body).toEqual({ code: 200, message: 'success' });
    expect(names((await hub.call('GET', '/v1/node?nodeLabel=temp', { token: admin })).body.data)).toEqual(['GZ2']);
    expect((await unlabel({ nodeLabel: 'temp', clusterName: 'GuangZhou', nodeName: ['GZ2', 'GZ1'] })).status).toBe(200);
    expect((await hub.call('GET', '/v1/node/label', { token: admin })).body.data).not.toContain('temp');
  });

  const good = { nodeLabel: 'ok', clusterName: 'GuangZhou', nodeName: ['GZ1'] };
  const bad: [string, unknown, RegExp][] = [
    ['a label with a space', { ...good, nodeLabel: 'a b' }, /nodeLabel must be 1-63 letters, digits, dots or dashes/],
    ['a label with a slash', { ...good, nodeLabel: 'x/y' }, /nodeLabel must be/],
    ['a label of 64 characters', { ...good, nodeLabel: 'x'.repeat(64) }, /nodeLabel must be/],
    ['a missing label', { ...good, nodeLabel: undefined }, /nodeLabel is required/],
    ['an empty name list', { ...good, nodeName: [] }, /nodeName must name at least one/],
    ['a name instead of a list', { ...good, nodeName: 'GZ1' }, /nodeName must be a list of names/],
    ['a bad node name', { ...good, nodeName: ['G Z1'] }, /nodeName/],
    ['a missing clusterName', { ...good, clusterName: undefined }, /clusterName is required/],
    ['a list of clusters', { ...good, clusterName: ['GuangZhou'] }, /clusterName/],
  ];
  for (const [method, call] of [['POST', label], ['DELETE', unlabel]] as const) {
    it.each(bad)(`${method} answers 422 for %s`, async (_, body, message) => {
      const r = await call(body);
      expect(r.body).toEqual({ code: 422, message: expect.stringMatching(message) });
    });

    it(`${method} answers 404 for an unknown cluster or node, changing nothing`, async () => {
      const cluster = await call({ ...good, clusterName: 'Atlantis' });
      expect(cluster.body).toEqual({ code: 404, message: expect.stringMatching(/cluster Atlantis not found/) });
      const node = await call({ nodeLabel: 'gpu', clusterName: 'GuangZhou', nodeName: ['GZ1', 'BJ1'] });
      expect(node.body).toEqual({ code: 404, message: expect.stringMatching(/node BJ1 in cluster GuangZhou not found/) });
      expect(hub.ctx.store.nodes.byName('GuangZhou', 'GZ1')!.labels.map((l) => l.label)).toContain('gpu');
    });
  }

  it('DELETE answers 422 for a deleteDeploy that is not a boolean', async () => {
    const r = await unlabel({ ...good, deleteDeploy: 'yes' });
    expect(r.body).toEqual({ code: 422, message: 'deleteDeploy must be true or false' });
  });
});

describe('DELETE /v1/node/[nodeName]?clusterName=C', () => {
  it('forgets the node and disconnects its agent with 4004', async () => {
    const node = await enrollNode(hub.ctx, 'GuangZhou', 'gone');
    const { link } = connectNode(hub.ctx, node);
    const r = await hub.call('DELETE', '/v1/node/gone?clusterName=GuangZhou', { token: admin });
    expect(r.body).toEqual({ code: 200, message: 'success' });
    expect(link.closed?.code).toBe(4004);
    expect(hub.ctx.registry.get(node.id)).toBeUndefined();
    expect(hub.ctx.store.nodes.get(node.id)).toBeUndefined();
    expect((await hub.call('GET', '/v1/node?nodeName=gone', { token: admin })).body.total).toBe(0);
    const gz = (await hub.call('GET', '/v1/cluster', { token: admin })).body.data.find((c: { clusterName: string }) => c.clusterName === 'GuangZhou');
    expect(gz.nodeCount).toBe(2);
    expect((await hub.call('DELETE', '/v1/node/gone?clusterName=GuangZhou', { token: admin })).status).toBe(404);
  });

  it.each([
    ['/v1/node/GZ1', 422, /clusterName is required/],
    ['/v1/node/GZ1?clusterName=a%20b', 422, /clusterName must be/],
    ['/v1/node/G%20Z1?clusterName=GuangZhou', 422, /nodeName must be/],
    ['/v1/node/GZ1?clusterName=BeiJing', 404, /node GZ1 in cluster BeiJing not found/],
    ['/v1/node/GZ1?clusterName=Atlantis', 404, /not found/],
  ])('%s answers %i', async (path, status, message) => {
    const r = await hub.call('DELETE', path, { token: admin });
    expect(r.body).toEqual({ code: status, message: expect.stringMatching(message) });
    expect(hub.ctx.store.nodes.byName('GuangZhou', 'GZ1')).toBeDefined();
  });
});

describe('who may call Node Management', () => {
  const reads = ['/v1/node', '/v1/node/label', '/v1/node/label?clusterName=GuangZhou'];
  const changes: [string, string, unknown][] = [
    ['POST', '/v1/node/label', { nodeLabel: 'x', clusterName: 'GuangZhou', nodeName: ['GZ1'] }],
    ['DELETE', '/v1/node/label', { nodeLabel: 'gpu', clusterName: 'GuangZhou', nodeName: ['GZ1'] }],
    ['DELETE', '/v1/node/GZ1?clusterName=GuangZhou', undefined],
  ];

  it.each(reads)('GET %s: 401 without or with a bad token; 403 for roles 0 and 1; 200 for roles 2-4', async (path) => {
    expect((await hub.call('GET', path)).status).toBe(401);
    expect((await hub.call('GET', path, { token: 'Bearer nope' })).status).toBe(401);
    for (const role of [0, 1]) {
      const r = await hub.call('GET', path, { token: tokenOf(role) });
      expect(r.body, `role ${role}`).toEqual({ code: 403, message: expect.any(String) });
    }
    for (const role of [2, 3, 4]) expect((await hub.call('GET', path, { token: tokenOf(role) })).status, `role ${role}`).toBe(200);
  });

  it.each(changes)('%s %s: 401 without a token, 403 for roles 0-3, nothing changes', async (method, path, body) => {
    expect((await hub.call(method, path, { body })).status).toBe(401);
    for (const role of [0, 1, 2, 3]) expect((await hub.call(method, path, { token: tokenOf(role), body })).status, `role ${role}`).toBe(403);
    const gz1 = hub.ctx.store.nodes.byName('GuangZhou', 'GZ1');
    expect(gz1?.labels.map((l) => l.label)).toContain('gpu');
    expect(gz1?.labels.map((l) => l.label)).not.toContain('x');
  });
});
