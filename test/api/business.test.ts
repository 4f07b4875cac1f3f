import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestHub, type TestHub } from '../helpers/hub.js';
import { approvedAdmin, approvedBusiness, businessInput, registration, seedRoles, type RoleFixture } from '../helpers/roles.js';

let hub: TestHub;
let roles: RoleFixture;

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
});
afterAll(() => hub.cleanup());

const role = async (token: string) => (await hub.call('GET', '/v1/authorization', { token })).body.data.role as number;

describe('POST /v1/business', () => {
  it('an approved admin without a business creates a pending one', async () => {
    const me = await approvedAdmin(hub, roles.sysAdmin.token, 'founder');
    const r = await hub.call('POST', '/v1/business', { token: me.token, body: businessInput('Gamma') });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({
      id: expect.any(Number),
      name: 'Gamma',
      userId: me.id,
      introduce: 'about Gamma',
      objective: 'watch the gates',
      scale: '10 nodes',
      comment: '',
      status: 0,
      createTime: hub.clock.t / 1000,
      updateTime: hub.clock.t / 1000,
    });
    // Still role 1 until approved; a second request while pending is a conflict.
    expect(await role(me.token)).toBe(1);
    const again = await hub.call('POST', '/v1/business', { token: me.token, body: businessInput('Gamma2') });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/still waiting for approval/);
  });

  it('answers 409 for a name that exists, in any case', async () => {
    const me = await approvedAdmin(hub, roles.sysAdmin.token, 'copycat');
    for (const name of ['Alpha', 'ALPHA', ' alpha ']) {
      const r = await hub.call('POST', '/v1/business', { token: me.token, body: businessInput(name) });
      expect(r.status, name).toBe(409);
      expect(r.body.message).toMatch(/already exists/);
    }
  });

  it('answers 403 to an approved general user (not an administrator)', async () => {
    const r = await hub.call('POST', '/v1/admin/user', { token: roles.sysAdmin.token, body: registration('plain', false) });
    const token = await hub.login('plain', 'Passw0rdX');
    expect(await role(token)).toBe(1);
    expect(r.status).toBe(200);
    expect((await hub.call('POST', '/v1/business', { token, body: businessInput('Plain') })).status).toBe(403);
  });

  it.each([
    ['a missing name', { ...businessInput('x'), name: undefined }, /name/],
    ['an empty name', businessInput(''), /name must be/],
    ['a name with a slash', businessInput('a/b'), /name must be/],
    ['a missing introduce', { ...businessInput('Ok'), introduce: undefined }, /introduce is required/],
    ['a numeric scale', { ...businessInput('Ok'), scale: 10 }, /scale/],
    ['a blank objective', { ...businessInput('Ok'), objective: ' ' }, /objective must not be empty/],
  ])('answers 422 for %s', async (_what, body, message) => {
    const r = await hub.call('POST', '/v1/business', { token: roles.free.token, body });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
  });
});

describe('GET /v1/business and /v1/business/id/[id]', () => {
  it('the system admin lists every business with the document list fields', async () => {
    const r = await hub.call('GET', '/v1/business?pageSize=0', { token: roles.sysAdmin.token });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(r.body.data.length);
    const alpha = (r.body.data as { name: string }[]).find((b) => b.name === 'Alpha');
    expect(alpha).toEqual({
      id: roles.a.id,
      name: 'Alpha',
      userId: roles.a.admin.id,
      comment: 'ok',
      status: 1,
      createTime: expect.any(Number),
      updateTime: expect.any(Number),
    });
  });

  it('a business member sees only their business; other ids are 404', async () => {
    for (const p of [roles.a.admin, roles.a.member]) {
      const r = await hub.call('GET', '/v1/business', { token: p.token });
      expect((r.body.data as { id: number }[]).map((b) => b.id)).toEqual([roles.a.id]);
      expect(r.body.total).toBe(1);
      expect((await hub.call('GET', `/v1/business/id/${roles.b.id}`, { token: p.token })).status).toBe(404);
    }
    const one = await hub.call('GET', `/v1/business/id/${roles.a.id}`, { token: roles.a.member.token });
    expect(one.body.data).toMatchObject({ id: roles.a.id, name: 'Alpha', introduce: 'about Alpha', objective: 'watch the gates', scale: '10 nodes' });
  });

  it('filters by name, sorts by id both ways and pages after counting', async () => {
    const get = async (q: string) => (await hub.call('GET', `/v1/business?${q}`, { token: roles.sysAdmin.token })).body;
    expect((await get('name=alp')).data.map((b: { name: string }) => b.name)).toEqual(['Alpha']);
    const all = (await get('pageSize=0')).data.map((b: { id: number }) => b.id) as number[];
    expect(all).toEqual([...all].sort((x, y) => x - y));
    expect((await get('pageSize=0&orderBy=id&order=desc')).data.map((b: { id: number }) => b.id)).toEqual([...all].reverse());
    const p2 = await get('page=2&pageSize=1');
    expect(p2.total).toBe(all.length);
    expect(p2.data.map((b: { id: number }) => b.id)).toEqual(all.slice(1, 2));
  });

  it.each([
    ['/v1/business?orderBy=user_name', /orderBy must be id/],
    ['/v1/business?order=sideways', /order must be asc or desc/],
    ['/v1/business?pageSize=ten', /pageSize must be a whole number/],
    ['/v1/business/id/abc', /id must be a whole number/],
    ['/v1/business/id/0', /id must be at least 1/],
  ])('answers 422 for %s', async (path, message) => {
    const r = await hub.call('GET', path, { token: roles.sysAdmin.token });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
  });

  it('answers 404 for an unknown id and 403 to a pending user', async () => {
    expect((await hub.call('GET', '/v1/business/id/9999', { token: roles.sysAdmin.token })).status).toBe(404);
    expect((await hub.call('GET', '/v1/business', { token: roles.pending.token })).status).toBe(403);
  });
});

describe('PUT /v1/business/id/[id] (audit)', () => {
  it('approval makes the creator role 3 and adds ns<id> to the desired namespaces', async () => {
    const me = await approvedAdmin(hub, roles.sysAdmin.token, 'approvee');
    const id = (await hub.call('POST', '/v1/business', { token: me.token, body: businessInput('Delta') })).body.data.id as number;
    expect(hub.ctx.namespaces.desired()).not.toContain(`ns${id}`);
    const seen: string[][] = [];
    const unsubscribe = hub.ctx.namespaces.subscribe((ns) => seen.push(ns));
    try {
      const r = await hub.call('PUT', `/v1/business/id/${id}`, { token: roles.sysAdmin.token, body: { status: 1, comment: 'pass' } });
      expect(r.status).toBe(200);
      expect(r.body.data).toMatchObject({ id, status: 1, comment: 'pass' });
    } finally {
      unsubscribe();
    }
    expect(await role(me.token)).toBe(3);
    expect(hub.ctx.store.users.get(me.id)?.businessId).toBe(id);
    expect(hub.ctx.namespaces.desired()).toContain(`ns${id}`);
    expect(hub.ctx.namespaces.desired('any-cluster')).toContain(`ns${id}`);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain(`ns${id}`);
    // Already approved: 409.
    const again = await hub.call('PUT', `/v1/business/id/${id}`, { token: roles.sysAdmin.token, body: { status: 2, comment: 'no' } });
    expect(again.status).toBe(409);
  });

  it('disapproval keeps the comment, the creator stays role 1 and no namespace appears', async () => {
    const me = await approvedAdmin(hub, roles.sysAdmin.token, 'rejectee');
    const id = (await hub.call('POST', '/v1/business', { token: me.token, body: businessInput('Epsilon') })).body.data.id as number;
    const r = await hub.call('PUT', `/v1/business/id/${id}`, { token: roles.sysAdmin.token, body: { status: 2, comment: 'too big' } });
    expect(r.body.data).toMatchObject({ status: 2, comment: 'too big' });
    expect(await role(me.token)).toBe(1);
    expect(hub.ctx.namespaces.desired()).not.toContain(`ns${id}`);
    expect((await hub.call('GET', `/v1/business/id/${id}`, { token: me.token })).body.data.comment).toBe('too big');
  });

  it.each([
    [{ status: 3, comment: 'x' }, /status must be 1 \(approve\) or 2 \(disapprove\)/],
    [{ status: 1 }, /comment is required/],
    [{ status: 1, comment: 5 }, /comment/],
  ])('answers 422 for %j', async (body, message) => {
    const r = await hub.call('PUT', `/v1/business/id/${roles.a.id}`, { token: roles.sysAdmin.token, body });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
  });

  it('answers 403 to everyone but the system admin, 404 for an unknown id', async () => {
    const body = { status: 1, comment: 'x' };
    for (const p of [roles.a.admin, roles.a.member, roles.free, roles.pending]) {
      expect((await hub.call('PUT', `/v1/business/id/${roles.a.id}`, { token: p.token, body })).status).toBe(403);
    }
    expect((await hub.call('PUT', '/v1/business/id/9999', { token: roles.sysAdmin.token, body })).status).toBe(404);
  });
});

describe('DELETE /v1/business/id/[id]', () => {
  it('sets status 3, drops the members to role 1 and removes the namespace', async () => {
    const biz = await approvedBusiness(hub, roles.sysAdmin.token, 'Zeta', 'zeta');
    expect(hub.ctx.namespaces.desired()).toContain(`ns${biz.id}`);
    const seen: string[][] = [];
    const unsubscribe = hub.ctx.namespaces.subscribe((ns) => seen.push(ns));
    try {
      expect((await hub.call('DELETE', `/v1/business/id/${biz.id}`, { token: biz.admin.token })).status).toBe(403);
      const r = await hub.call('DELETE', `/v1/business/id/${biz.id}`, { token: roles.sysAdmin.token });
      expect(r.status).toBe(200);
    } finally {
      unsubscribe();
    }
    expect(hub.ctx.store.businesses.get(biz.id)?.status).toBe(3);
    expect(await role(biz.admin.token)).toBe(1);
    expect(await role(biz.member.token)).toBe(1);
    expect(hub.ctx.namespaces.desired()).not.toContain(`ns${biz.id}`);
    expect(seen).toEqual([hub.ctx.namespaces.desired()]);
    // The former admin no longer sees the members, and a second delete is 404.
    expect((await hub.call('GET', '/v1/admin/user', { token: biz.admin.token })).status).toBe(403);
    expect((await hub.call('DELETE', `/v1/business/id/${biz.id}`, { token: roles.sysAdmin.token })).status).toBe(404);
    // The name is free again, and the former admin may found a new business.
    const again = await hub.call('POST', '/v1/business', { token: biz.admin.token, body: businessInput('Zeta') });
    expect(again.status).toBe(200);
  });

  it('answers 403 to a business admin, 404 for an unknown id, 422 for a bad id', async () => {
    expect((await hub.call('DELETE', `/v1/business/id/${roles.a.id}`, { token: roles.a.admin.token })).status).toBe(403);
    expect((await hub.call('DELETE', '/v1/business/id/9999', { token: roles.sysAdmin.token })).status).toBe(404);
    expect((await hub.call('DELETE', '/v1/business/id/x', { token: roles.sysAdmin.token })).status).toBe(422);
    expect(hub.ctx.store.businesses.get(roles.a.id)?.status).toBe(1);
  });
});
