import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJoinToken } from '../../hub/src/agents/credentials.js';
import type { Session } from '../../hub/src/agents/registry.js';
import { connectNode, enrollNode } from '../helpers/fleet.js';
import { ADMIN_PASSWORD, ADMIN_USER, makeTestHub, type TestHub } from '../helpers/hub.js';
import { personOf, seedRoles, type RoleFixture } from '../helpers/roles.js';

let hub: TestHub;
let roles: RoleFixture;
let admin: string;
let bj1: Session;

/** Tokens of roles 0-4 (API-NOTES: clusters are read by roles 2-4 and changed by 4 only). */
const tokenOf = (role: number) => personOf(roles, role).token;
const GRACE = 15_000;

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
  admin = roles.sysAdmin.token;
  // BeiJing: bj1 connected, bj2 enrolled but offline. GuangZhou: gz1 offline.
  bj1 = connectNode(hub.ctx, await enrollNode(hub.ctx, 'BeiJing', 'bj1')).session;
  await enrollNode(hub.ctx, 'BeiJing', 'bj2');
  await enrollNode(hub.ctx, 'GuangZhou', 'gz1');
});
afterAll(() => hub.cleanup());

describe('GET /v1/cluster', () => {
  it('lists clusters with clusterName, nodeCount, isReady and total', async () => {
    const r = await hub.call('GET', '/v1/cluster?clusterLabel=all&page=1&pageSize=10', { token: admin });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      code: 200,
      message: 'success',
      data: [
        expect.objectContaining({ clusterName: 'BeiJing', nodeCount: 2, isReady: true }),
        expect.objectContaining({ clusterName: 'GuangZhou', nodeCount: 1, isReady: false }),
      ],
      total: 2,
    });
    expect(r.body.data[0].createTime).toBe(Math.floor(hub.clock.t / 1000));
  });

  it('follows live heartbeats: stale after the grace, ready again on a heartbeat, not ready at once on detach', async () => {
    const ready = async () => (await hub.call('GET', '/v1/cluster', { token: admin })).body.data[0].isReady as boolean;
    hub.clock.advance(GRACE - 1);
    expect(await ready()).toBe(true);
    hub.clock.advance(1);
    expect(await ready()).toBe(false);
    hub.ctx.registry.heartbeat(bj1, 1, 5, 5);
    expect(await ready()).toBe(true);
    hub.ctx.registry.detach(bj1, 'agent left: goodbye');
    expect(await ready()).toBe(false);
    bj1 = connectNode(hub.ctx, hub.ctx.store.nodes.byName('BeiJing', 'bj1')!).session;
    expect(await ready()).toBe(true);
  });

  it('pages, with total counting every match', async () => {
    const p2 = await hub.call('GET', '/v1/cluster?page=2&pageSize=1', { token: admin });
    expect(p2.body.data.map((c: { clusterName: string }) => c.clusterName)).toEqual(['GuangZhou']);
    expect(p2.body.total).toBe(2);
    const p3 = await hub.call('GET', '/v1/cluster?page=3&pageSize=1', { token: admin });
    expect(p3.body).toMatchObject({ data: [], total: 2 });
  });

  it('filters by clusterLabel', async () => {
    await hub.call('POST', '/v1/cluster/label', { token: admin, body: { clusterLabel: 'north', clusterName: ['BeiJing'] } });
    const r = await hub.call('GET', '/v1/cluster?clusterLabel=north', { token: admin });
    expect(r.body.data.map((c: { clusterName: string }) => c.clusterName)).toEqual(['BeiJing']);
    expect(r.body.total).toBe(1);
    expect((await hub.call('GET', '/v1/cluster?clusterLabel=nowhere', { token: admin })).body).toMatchObject({ data: [], total: 0 });
  });

  it.each([
    ['page=abc', /page must be a whole number/],
    ['page=0', /page must be at least 1/],
    ['pageSize=-1', /pageSize must be a whole number/],
    ['pageSize=ten', /pageSize must be a whole number/],
    [`clusterLabel=${'x'.repeat(64)}`, /clusterLabel/],
  ])('answers 422 for %s', async (q, message) => {
    const r = await hub.call('GET', `/v1/cluster?${q}`, { token: admin });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ code: 422, message: expect.stringMatching(message) });
  });
});

describe('GET /v1/cluster without limits', () => {
  it('returns every cluster by default (no page limit) and pages when asked', async () => {
    const h = await makeTestHub();
    try {
      const names = Array.from({ length: 12 }, (_, i) => `c${String(i).padStart(2, '0')}`);
      for (const n of names) await enrollNode(h.ctx, n, 'node1');
      const token = await h.login(ADMIN_USER, ADMIN_PASSWORD);
      const all = await h.call('GET', '/v1/cluster', { token });
      expect(all.body.data.map((c: { clusterName: string }) => c.clusterName)).toEqual(names);
      expect(all.body.total).toBe(12);
      const p = await h.call('GET', '/v1/cluster?page=3&pageSize=5', { token });
      expect(p.body.data.map((c: { clusterName: string }) => c.clusterName)).toEqual(['c10', 'c11']);
      expect(p.body.total).toBe(12);
    } finally {
      await h.cleanup();
    }
  });
});

describe('cluster labels', () => {
  it('POST adds a label to every named cluster, once', async () => {
    const body = { clusterLabel: 'label1', clusterName: ['GuangZhou', 'BeiJing'] };
    const r = await hub.call('POST', '/v1/cluster/label', { token: admin, body });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ code: 200, message: 'success' });
    await hub.call('POST', '/v1/cluster/label', { token: admin, body });
    const gz = await hub.call('GET', '/v1/cluster/label/GuangZhou', { token: admin });
    expect(gz.body).toEqual({ code: 200, message: 'success', data: [{ clusterLabel: 'label1', createTime: Math.floor(hub.clock.t / 1000) }], total: 1 });
    const all = await hub.call('GET', '/v1/cluster/label', { token: admin });
    expect(all.body).toEqual({ code: 200, message: 'success', data: ['label1', 'north'] });
  });

  it('accepts labels of letters, digits, dots and dashes up to 63 characters', async () => {
    for (const clusterLabel of ['a.b-C9', 'L'.repeat(63), '-.-']) {
      const r = await hub.call('POST', '/v1/cluster/label', { token: admin, body: { clusterLabel, clusterName: ['GuangZhou'] } });
      expect(r.status, clusterLabel).toBe(200);
    }
    await hub.call('DELETE', '/v1/cluster/label', { token: admin, body: { clusterLabel: 'L'.repeat(63), clusterName: ['GuangZhou'] } });
    await hub.call('DELETE', '/v1/cluster/label', { token: admin, body: { clusterLabel: '-.-', clusterName: ['GuangZhou'] } });
    await hub.call('DELETE', '/v1/cluster/label', { token: admin, body: { clusterLabel: 'a.b-C9', clusterName: ['GuangZhou'] } });
  });

  it('DELETE removes a label from the named clusters only', async () => {
    await hub.call('POST', '/v1/cluster/label', { token: admin, body: { clusterLabel: 'temp', clusterName: ['GuangZhou', 'BeiJing'] } });
    const r = await hub.call('DELETE', '/v1/cluster/label', { token: admin, body: { clusterLabel: 'temp', clusterName: ['GuangZhou'] } });
    expect(r.body).toEqual({ code: 200, message: 'success' });
    const labelsOf = async (c: string) => (await hub.call('GET', `/v1/cluster/label/${c}?pageSize=0`, { token: admin })).body.data.map((l: { clusterLabel: string }) => l.clusterLabel);
    expect(await labelsOf('GuangZhou')).not.toContain('temp');
    expect(await labelsOf('BeiJing')).toContain('temp');
    expect((await hub.call('GET', '/v1/cluster/label', { token: admin })).body.data).toContain('temp');
    await hub.call('DELETE', '/v1/cluster/label', { token: admin, body: { clusterLabel: 'temp', clusterName: ['BeiJing', 'GuangZhou'] } });
    expect((await hub.call('GET', '/v1/cluster/label', { token: admin })).body.data).not.toContain('temp');
  });

  it('GET /v1/cluster/label/[name] pages labels in the order they were added, with createTime', async () => {
    const h = await makeTestHub();
    try {
      await enrollNode(h.ctx, 'cam', 'n1');
      const token = await h.login(ADMIN_USER, ADMIN_PASSWORD);
      const t0 = Math.floor(h.clock.t / 1000);
      for (const l of ['l1', 'l2', 'l3']) {
        await h.call('POST', '/v1/cluster/label', { token, body: { clusterLabel: l, clusterName: ['cam'] } });
        h.clock.advance(1000);
      }
      const p2 = await h.call('GET', '/v1/cluster/label/cam?page=2&pageSize=2', { token });
      expect(p2.body).toEqual({ code: 200, message: 'success', data: [{ clusterLabel: 'l3', createTime: t0 + 2 }], total: 3 });
      const first = await h.call('GET', '/v1/cluster/label/cam', { token });
      expect(first.body.data).toEqual([
        { clusterLabel: 'l1', createTime: t0 },
        { clusterLabel: 'l2', createTime: t0 + 1 },
        { clusterLabel: 'l3', createTime: t0 + 2 },
      ]);
      expect((await h.call('GET', '/v1/cluster/label/cam?pageSize=1', { token })).body.data).toHaveLength(1);
    } finally {
      await h.cleanup();
    }
  });

  const bad: [string, unknown, RegExp][] = [
    ['a label with a space', { clusterLabel: 'a b', clusterName: ['BeiJing'] }, /clusterLabel must be 1-63 letters, digits, dots or dashes/],
    ['a label with a slash', { clusterLabel: 'x/y', clusterName: ['BeiJing'] }, /clusterLabel must be/],
    ['a label with an underscore', { clusterLabel: 'x_y', clusterName: ['BeiJing'] }, /clusterLabel must be/],
    ['a label of 64 characters', { clusterLabel: 'x'.repeat(64), clusterName: ['BeiJing'] }, /clusterLabel must be/],
    ['an empty label', { clusterLabel: '', clusterName: ['BeiJing'] }, /clusterLabel must be/],
    ['a missing label', { clusterName: ['BeiJing'] }, /clusterLabel is required/],
    ['an empty name list', { clusterLabel: 'ok', clusterName: [] }, /clusterName must name at least one/],
    ['a name instead of a list', { clusterLabel: 'ok', clusterName: 'BeiJing' }, /clusterName must be a list of names/],
    ['a missing name list', { clusterLabel: 'ok' }, /clusterName/],
    ['a bad name in the list', { clusterLabel: 'ok', clusterName: ['Bei Jing'] }, /clusterName/],
  ];
  for (const method of ['POST', 'DELETE']) {
    it.each(bad)(`${method} answers 422 for %s`, async (_, body, message) => {
      const r = await hub.call(method, '/v1/cluster/label', { token: admin, body });
      expect(r.status).toBe(422);
      expect(r.body).toEqual({ code: 422, message: expect.stringMatching(message) });
    });

    it(`${method} answers 422 for malformed JSON and a missing body`, async () => {
      expect((await hub.call(method, '/v1/cluster/label', { token: admin, rawBody: '{"clusterLabel":' })).status).toBe(422);
      expect((await hub.call(method, '/v1/cluster/label', { token: admin })).status).toBe(422);
    });

    it(`${method} answers 404 for an unknown cluster and changes none of the others`, async () => {
      const r = await hub.call(method, '/v1/cluster/label', { token: admin, body: { clusterLabel: 'north', clusterName: ['BeiJing', 'Atlantis'] } });
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ code: 404, message: expect.stringMatching(/Atlantis/) });
      expect(hub.ctx.store.clusters.get('BeiJing')!.labels.map((l) => l.label)).toContain('north');
    });
  }

  it('GET /v1/cluster/label/[name] answers 404 for an unknown cluster and 422 for a bad name or page', async () => {
    expect((await hub.call('GET', '/v1/cluster/label/Atlantis', { token: admin })).status).toBe(404);
    expect((await hub.call('GET', '/v1/cluster/label/a%20b', { token: admin })).status).toBe(422);
    const r = await hub.call('GET', '/v1/cluster/label/BeiJing?page=x', { token: admin });
    expect(r.body).toEqual({ code: 422, message: expect.stringMatching(/page must be a whole number/) });
  });
});

describe('POST /v1/cluster/token', () => {
  it('issues a join token for the cluster, valid for a day by default', async () => {
    const r = await hub.call('POST', '/v1/cluster/token', { token: admin, body: { clusterName: 'ShenZhen' } });
    expect(r.body).toEqual({ code: 200, message: 'success', data: { token: expect.any(String) } });
    const token = r.body.data.token as string;
    expect(await verifyJoinToken(hub.ctx.jwtKey, token, hub.clock.t)).toBe('ShenZhen');
    expect(await verifyJoinToken(hub.ctx.jwtKey, token, hub.clock.t + 86_399_000)).toBe('ShenZhen');
    expect(await verifyJoinToken(hub.ctx.jwtKey, token, hub.clock.t + 86_400_000)).toBeUndefined();
    // The cluster appears with its first node, not with its token.
    expect(hub.ctx.store.clusters.get('ShenZhen')).toBeUndefined();
  });

  it('honours ttlSeconds', async () => {
    const r = await hub.call('POST', '/v1/cluster/token', { token: admin, body: { clusterName: 'c1', ttlSeconds: 60 } });
    const token = r.body.data.token as string;
    expect(await verifyJoinToken(hub.ctx.jwtKey, token, hub.clock.t + 59_000)).toBe('c1');
    expect(await verifyJoinToken(hub.ctx.jwtKey, token, hub.clock.t + 60_000)).toBeUndefined();
  });

  it.each([
    ['a missing clusterName', {}, /clusterName is required/],
    ['a bad clusterName', { clusterName: 'a b' }, /clusterName must be/],
    ['ttlSeconds under a minute', { clusterName: 'c1', ttlSeconds: 59 }, /ttlSeconds must be at least 60/],
    ['ttlSeconds over a year', { clusterName: 'c1', ttlSeconds: 366 * 86_400 }, /ttlSeconds must be at most one year/],
    ['ttlSeconds as a string', { clusterName: 'c1', ttlSeconds: '3600' }, /ttlSeconds must be a number/],
    ['fractional ttlSeconds', { clusterName: 'c1', ttlSeconds: 60.5 }, /ttlSeconds must be a whole number/],
  ])('answers 422 for %s', async (_, body, message) => {
    const r = await hub.call('POST', '/v1/cluster/token', { token: admin, body });
    expect(r.body).toEqual({ code: 422, message: expect.stringMatching(message) });
  });
});

describe('who may call Cluster Management', () => {
  const reads = ['/v1/cluster', '/v1/cluster/label', '/v1/cluster/label/BeiJing'];
  const changes: [string, string, unknown][] = [
    ['POST', '/v1/cluster/label', { clusterLabel: 'x', clusterName: ['BeiJing'] }],
    ['DELETE', '/v1/cluster/label', { clusterLabel: 'north', clusterName: ['BeiJing'] }],
    ['POST', '/v1/cluster/token', { clusterName: 'BeiJing' }],
  ];

  it.each(reads)('GET %s: 401 without or with a bad token', async (path) => {
    expect((await hub.call('GET', path)).status).toBe(401);
    expect((await hub.call('GET', path, { token: 'not-a-token' })).status).toBe(401);
  });

  it.each(reads)('GET %s: 403 for roles 0 and 1, 200 for roles 2-4', async (path) => {
    for (const role of [0, 1]) {
      const r = await hub.call('GET', path, { token: tokenOf(role) });
      expect(r.status, `role ${role}`).toBe(403);
      expect(r.body).toEqual({ code: 403, message: expect.any(String) });
    }
    for (const role of [2, 3, 4]) expect((await hub.call('GET', path, { token: tokenOf(role) })).status, `role ${role}`).toBe(200);
  });

  it.each(changes)('%s %s: 401 without a token, 403 for roles 0-3', async (method, path, body) => {
    expect((await hub.call(method, path, { body })).status).toBe(401);
    for (const role of [0, 1, 2, 3]) {
      const r = await hub.call(method, path, { token: tokenOf(role), body });
      expect(r.status, `role ${role}`).toBe(403);
    }
    expect(hub.ctx.store.clusters.get('BeiJing')!.labels.map((l) => l.label)).toEqual(expect.arrayContaining(['north']));
    expect(hub.ctx.store.clusters.get('BeiJing')!.labels.map((l) => l.label)).not.toContain('x');
  });
});
