import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestHub, type TestHub } from '../helpers/hub.js';
import { PASSWORD, register, registration, seedRoles, type Person, type RoleFixture } from '../helpers/roles.js';

let hub: TestHub;
let roles: RoleFixture;

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
});
afterAll(() => hub.cleanup());

/** A fresh member of business A, logged in, for tests that change or delete it. */
async function memberOfA(user: string): Promise<Person> {
  const r = await hub.call('POST', '/v1/admin/user', { token: roles.a.admin.token, body: registration(user, false) });
  expect(r.status).toBe(200);
  return { id: r.body.data.id as number, user, password: PASSWORD, token: await hub.login(user, PASSWORD) };
}

const whoami = (token: string) => hub.call('GET', '/v1/authorization', { token });

describe('POST /v1/admin/user (create sub-user)', () => {
  it('a business admin creates an approved user in their own business', async () => {
    const r = await hub.call('POST', '/v1/admin/user', { token: roles.a.admin.token, body: registration('sub-a', true) });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ user: 'sub-a', status: 1, isAdmin: true, businessId: roles.a.id });
    // isAdmin true makes a second administrator of the business.
    expect((await whoami(await hub.login('sub-a', PASSWORD))).body.data.role).toBe(3);
  });

  it('refuses a business admin who names another business (403), and duplicates (409)', async () => {
    const other = await hub.call('POST', '/v1/admin/user', {
      token: roles.a.admin.token,
      body: { ...registration('sneaky', false), businessId: roles.b.id },
    });
    expect(other.status).toBe(403);
    const dup = await hub.call('POST', '/v1/admin/user', { token: roles.a.admin.token, body: registration('beta-member', false) });
    expect(dup.status).toBe(409);
  });

  it('the system admin places a user in any approved business, or none', async () => {
    const inB = await hub.call('POST', '/v1/admin/user', {
      token: roles.sysAdmin.token,
      body: { ...registration('placed-b', false), businessId: roles.b.id },
    });
    expect(inB.body.data).toMatchObject({ status: 1, businessId: roles.b.id });
    const none = await hub.call('POST', '/v1/admin/user', { token: roles.sysAdmin.token, body: registration('placed-none', true) });
    expect(none.body.data).toMatchObject({ status: 1, businessId: null });
    const bad = await hub.call('POST', '/v1/admin/user', {
      token: roles.sysAdmin.token,
      body: { ...registration('placed-nowhere', false), businessId: 999 },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toMatch(/businessId 999 is not an approved business/);
  });

  it.each([
    ['a weak password', { ...registration('w', false), password: 'abc' }],
    ['a missing isAdmin', { ...registration('w', false), isAdmin: undefined }],
    ['a non-numeric businessId', { ...registration('w', false), businessId: 'one' }],
    ['a negative businessId', { ...registration('w', false), businessId: -1 }],
  ])('answers 422 for %s', async (_what, body) => {
    const r = await hub.call('POST', '/v1/admin/user', { token: roles.sysAdmin.token, body });
    expect(r.status).toBe(422);
    expect(r.body.message).toBeTruthy();
  });
});

describe('GET /v1/admin/user (list)', () => {
  it('shows the document fields to the system admin, for every user, never the hash', async () => {
    const r = await hub.call('GET', '/v1/admin/user?pageSize=0', { token: roles.sysAdmin.token });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(r.body.data.length);
    expect(r.body.total).toBe(hub.ctx.store.users.list({ page: 1, pageSize: 0, order: 'asc', orderBy: 'id' }).total);
    for (const u of r.body.data as Record<string, unknown>[]) {
      expect(Object.keys(u).sort()).toEqual(
        ['businessId', 'createTime', 'id', 'isAdmin', 'phone', 'realName', 'status', 'updateTime', 'user'].sort(),
      );
    }
    const names = (r.body.data as { user: string }[]).map((u) => u.user);
    expect(names).toEqual(expect.arrayContaining(['admin', 'pending-user', 'free-admin', 'alpha-member', 'beta-member']));
  });

  it('shows a business admin only the users of their business', async () => {
    const r = await hub.call('GET', '/v1/admin/user?pageSize=0', { token: roles.b.admin.token });
    expect(r.status).toBe(200);
    const rows = r.body.data as { user: string; businessId: number }[];
    expect(rows.every((u) => u.businessId === roles.b.id)).toBe(true);
    expect(rows.map((u) => u.user)).toEqual(expect.arrayContaining(['beta-admin', 'beta-member']));
    expect(rows.map((u) => u.user)).not.toContain('alpha-member');
    expect(r.body.total).toBe(rows.length);
  });

  it('sorts by id and user_name, asc and desc, and pages after counting', async () => {
    const get = async (q: string) => (await hub.call('GET', `/v1/admin/user?${q}`, { token: roles.sysAdmin.token })).body;
    const all = await get('pageSize=0');
    const ids = (all.data as { id: number }[]).map((u) => u.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    const desc = await get('pageSize=0&orderBy=id&order=desc');
    expect((desc.data as { id: number }[]).map((u) => u.id)).toEqual([...ids].reverse());

    const byName = (await get('pageSize=0&orderBy=user_name')).data as { user: string }[];
    const names = byName.map((u) => u.user);
    const lower = names.map((n) => n.toLowerCase());
    expect(lower).toEqual([...lower].sort());
    const byNameDesc = (await get('pageSize=0&orderBy=user_name&order=desc')).data as { user: string }[];
    expect(byNameDesc.map((u) => u.user)).toEqual([...names].reverse());

    const p1 = await get('');
    expect(p1.data).toHaveLength(Math.min(10, ids.length));
    const p2 = await get('page=2&pageSize=3');
    expect(p2.total).toBe(ids.length);
    expect((p2.data as { id: number }[]).map((u) => u.id)).toEqual(ids.slice(3, 6));
    const p3 = await get('page=2&pageSize=3&orderBy=user_name&order=desc');
    expect((p3.data as { user: string }[]).map((u) => u.user)).toEqual([...names].reverse().slice(3, 6));
    const beyond = await get('page=1000');
    expect(beyond.data).toEqual([]);
    expect(beyond.total).toBe(ids.length);
  });

  it.each([
    ['orderBy=name', /orderBy must be id or user_name/],
    ['order=up', /order must be asc or desc/],
    ['page=0', /page must be at least 1/],
    ['page=x', /page must be a whole number/],
    ['pageSize=-1', /pageSize must be a whole number/],
    ['pageSize=1.5', /pageSize must be a whole number/],
    ['pageSize=100001', /pageSize must be at most/],
  ])('answers 422 for %s', async (q, message) => {
    const r = await hub.call('GET', `/v1/admin/user?${q}`, { token: roles.sysAdmin.token });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
  });
});

describe('DELETE /v1/admin/user/[userId]', () => {
  it('a business admin deletes a member: the member can neither use old tokens nor log in', async () => {
    const m = await memberOfA('doomed');
    const r = await hub.call('DELETE', `/v1/admin/user/${m.id}`, { token: roles.a.admin.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ code: 200, message: 'success' });
    expect((await whoami(m.token)).status).toBe(401);
    expect((await hub.call('POST', '/v1/authorization', { body: { user: m.user, password: PASSWORD } })).status).toBe(401);
    expect((await hub.call('DELETE', `/v1/admin/user/${m.id}`, { token: roles.a.admin.token })).status).toBe(404);
  });

  it('a business admin gets 404 for users outside their business', async () => {
    for (const id of [roles.b.member.id, roles.b.admin.id, roles.free.id, roles.pending.id, roles.sysAdmin.id, 99999]) {
      const r = await hub.call('DELETE', `/v1/admin/user/${id}`, { token: roles.a.admin.token });
      expect(r.status, `user ${id}`).toBe(404);
    }
    expect(hub.ctx.store.users.get(roles.b.member.id)).toBeDefined();
  });

  it('nobody deletes the system admin, and nobody deletes themselves', async () => {
    const r = await hub.call('DELETE', `/v1/admin/user/${roles.sysAdmin.id}`, { token: roles.sysAdmin.token });
    expect(r.status).toBe(403);
    const self = await hub.call('DELETE', `/v1/admin/user/${roles.a.admin.id}`, { token: roles.a.admin.token });
    expect(self.status).toBe(403);
  });

  it('the system admin deletes any user', async () => {
    const id = await register(hub, 'gone-soon', false);
    expect((await hub.call('DELETE', `/v1/admin/user/${id}`, { token: roles.sysAdmin.token })).status).toBe(200);
    expect(hub.ctx.store.users.get(id)).toBeUndefined();
  });

  it.each(['abc', '0', '-1', '1.5', '1e3'])('answers 422 for the id %j', async (id) => {
    const r = await hub.call('DELETE', `/v1/admin/user/${id}`, { token: roles.sysAdmin.token });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(/userId must be/);
  });
});

describe('PUT /v1/admin/user/[userId]/password (reset)', () => {
  it("sets the password and ends all of the target's sessions", async () => {
    const m = await memberOfA('forgetful');
    const r = await hub.call('PUT', `/v1/admin/user/${m.id}/password`, { token: roles.a.admin.token, body: { password: 'Reset1234' } });
    expect(r.status).toBe(200);
    expect((await whoami(m.token)).status).toBe(401);
    expect((await hub.call('POST', '/v1/authorization', { body: { user: m.user, password: PASSWORD } })).status).toBe(401);
    expect(await hub.login(m.user, 'Reset1234')).toBeTruthy();
  });

  it('a business admin gets 404 for a user of another business', async () => {
    const r = await hub.call('PUT', `/v1/admin/user/${roles.b.member.id}/password`, { token: roles.a.admin.token, body: { password: 'Reset1234' } });
    expect(r.status).toBe(404);
    expect(await hub.login(roles.b.member.user, PASSWORD)).toBeTruthy();
  });

  it.each([
    ['a weak password', { password: 'reset' }],
    ['no password', {}],
    ['a numeric password', { password: 12345678 }],
  ])('answers 422 for %s', async (_what, body) => {
    const r = await hub.call('PUT', `/v1/admin/user/${roles.a.member.id}/password`, { token: roles.a.admin.token, body });
    expect(r.status).toBe(422);
  });
});

describe('PUT /v1/admin/user/[userId] (audit)', () => {
  it('approving a pending user makes them role 1', async () => {
    const id = await register(hub, 'waiting', true);
    const token = await hub.login('waiting', PASSWORD);
    const r = await hub.call('PUT', `/v1/admin/user/${id}`, { token: roles.sysAdmin.token, body: { status: 1 } });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ id, status: 1 });
    expect((await whoami(token)).body.data.role).toBe(1);
  });

  it.each([
    [2, /not approved/],
    [3, /forbidden/],
  ])('status %i ends the sessions and refuses logins with 403', async (status, message) => {
    const m = await memberOfA(`audited-${status}`);
    const r = await hub.call('PUT', `/v1/admin/user/${m.id}`, { token: roles.sysAdmin.token, body: { status } });
    expect(r.status).toBe(200);
    expect((await whoami(m.token)).status).toBe(401);
    const login = await hub.call('POST', '/v1/authorization', { body: { user: m.user, password: PASSWORD } });
    expect(login.status).toBe(403);
    expect(login.body.message).toMatch(message);
    // Approving again lets them log in, but the old sessions stay dead.
    await hub.call('PUT', `/v1/admin/user/${m.id}`, { token: roles.sysAdmin.token, body: { status: 1 } });
    expect((await whoami(m.token)).status).toBe(401);
    expect(await hub.login(m.user, PASSWORD)).toBeTruthy();
  });

  it('refuses to audit the system admin, a business admin, and unknown users', async () => {
    expect((await hub.call('PUT', `/v1/admin/user/${roles.sysAdmin.id}`, { token: roles.sysAdmin.token, body: { status: 3 } })).status).toBe(403);
    expect((await hub.call('PUT', `/v1/admin/user/${roles.a.member.id}`, { token: roles.a.admin.token, body: { status: 3 } })).status).toBe(403);
    expect((await hub.call('PUT', `/v1/admin/user/${roles.b.member.id}`, { token: roles.a.admin.token, body: { status: 3 } })).status).toBe(403);
    expect((await hub.call('PUT', '/v1/admin/user/99999', { token: roles.sysAdmin.token, body: { status: 1 } })).status).toBe(404);
    expect((await whoami(roles.a.member.token)).status).toBe(200);
  });

  it.each([[{ status: 4 }], [{ status: '1' }], [{}], [{ status: null }]])('answers 422 for %j', async (body) => {
    const r = await hub.call('PUT', `/v1/admin/user/${roles.pending.id}`, { token: roles.sysAdmin.token, body });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(/status must be 0, 1, 2 or 3/);
  });
});
