import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestHub, type TestHub } from '../helpers/hub.js';
import { approvedAdmin, PASSWORD, register, registration, seedRoles, type RoleFixture } from '../helpers/roles.js';

let hub: TestHub;
let roles: RoleFixture;

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
});
afterAll(() => hub.cleanup());

describe('POST /v1/user (register)', () => {
  it('creates a pending user with the document fields, never the hash', async () => {
    const r = await hub.call('POST', '/v1/user', { body: registration('newbie', true, 'xxX@1234') });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ code: 200, message: 'success' });
    expect(r.body.data).toMatchObject({
      id: expect.any(Number),
      user: 'newbie',
      status: 0,
      realName: 'Real newbie',
      phone: '12345678910',
      isAdmin: true,
      businessId: null,
      createTime: hub.clock.t / 1000,
      updateTime: hub.clock.t / 1000,
    });
    expect(r.body.data).not.toHaveProperty('passwordHash');
    expect(r.body.data).not.toHaveProperty('sessionEpoch');
    // A pending user may log in, as role 0.
    const token = await hub.login('newbie', 'xxX@1234');
    expect((await hub.call('GET', '/v1/authorization', { token })).body.data.role).toBe(0);
  });

  it('answers 409 for a name that exists, in any case', async () => {
    for (const user of ['alpha-admin', 'Alpha-Admin', 'ADMIN']) {
      const r = await hub.call('POST', '/v1/user', { body: registration(user, false) });
      expect(r.status, user).toBe(409);
      expect(r.body.message).toMatch(/already exists/);
    }
  });

  it('lets only one of two simultaneous registrations of a name through', async () => {
    const rs = await Promise.all([1, 2].map(() => hub.call('POST', '/v1/user', { body: registration('twin', false) })));
    expect(rs.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  const good = registration('someone', false);
  it.each([
    ['malformed JSON', '{"user":"x",', /valid JSON/],
    ['a missing user', JSON.stringify({ ...good, user: undefined }), /user is required/],
    ['a missing password', JSON.stringify({ ...good, password: undefined }), /password is required/],
    ['a missing phone', JSON.stringify({ ...good, phone: undefined }), /phone is required/],
    ['a missing realName', JSON.stringify({ ...good, realName: undefined }), /realName is required/],
    ['a missing isAdmin', JSON.stringify({ ...good, isAdmin: undefined }), /isAdmin/],
    ['isAdmin as a string', JSON.stringify({ ...good, isAdmin: 'true' }), /isAdmin must be true or false/],
    ['a user name with a space', JSON.stringify({ ...good, user: 'a b' }), /user must be/],
    ['a weak password', JSON.stringify({ ...good, password: 'password1' }), /8-20 characters with an upper-case letter/],
    ['a short password', JSON.stringify({ ...good, password: 'Ab1' }), /8-20 characters/],
    ['letters as phone', JSON.stringify({ ...good, phone: 'call me' }), /phone must be/],
    ['a blank realName', JSON.stringify({ ...good, realName: '   ' }), /realName must not be empty/],
  ])('answers 422 for %s', async (_what, rawBody, message) => {
    const r = await hub.call('POST', '/v1/user', { rawBody });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ code: 422, message: expect.stringMatching(message) });
    expect(hub.ctx.store.users.byName('someone')).toBeUndefined();
  });
});

describe('PUT /v1/user (change own password)', () => {
  it('answers a new token, ends every other session, and switches the password', async () => {
    const me = await approvedAdmin(hub, roles.sysAdmin.token, 'changer');
    const other = await hub.login('changer', PASSWORD);
    const r = await hub.call('PUT', '/v1/user', { token: me.token, body: { oldPassword: PASSWORD, password: 'NewPass99' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ code: 200, message: 'success', token: expect.any(String) });
    expect((await hub.call('GET', '/v1/authorization', { token: r.body.token })).status).toBe(200);
    expect((await hub.call('GET', '/v1/authorization', { token: me.token })).status).toBe(401);
    expect((await hub.call('GET', '/v1/authorization', { token: other })).status).toBe(401);
    expect((await hub.call('POST', '/v1/authorization', { body: { user: 'changer', password: PASSWORD } })).status).toBe(401);
    expect(await hub.login('changer', 'NewPass99')).toBeTruthy();
  });

  it.each([
    ['a wrong old password', { oldPassword: 'Wrong1234', password: 'NewPass99' }, /oldPassword is not your current password/],
    ['the same password again', { oldPassword: PASSWORD, password: PASSWORD }, /must differ/],
    ['a weak new password', { oldPassword: PASSWORD, password: 'weakweak' }, /8-20 characters/],
    ['a missing oldPassword', { password: 'NewPass99' }, /oldPassword is required/],
    ['a numeric password', { oldPassword: PASSWORD, password: 12345678 }, /password/],
  ])('answers 422 for %s and keeps the password', async (_what, body, message) => {
    const r = await hub.call('PUT', '/v1/user', { token: roles.a.member.token, body });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
    expect((await hub.call('GET', '/v1/authorization', { token: roles.a.member.token })).status).toBe(200);
  });

  it('answers 403 to a pending user and 401 without a token', async () => {
    const body = { oldPassword: PASSWORD, password: 'NewPass99' };
    expect((await hub.call('PUT', '/v1/user', { token: roles.pending.token, body })).status).toBe(403);
    expect((await hub.call('PUT', '/v1/user', { body })).status).toBe(401);
  });

  it('registers users with ids that keep rising', async () => {
    const a = await register(hub, 'later-1', false);
    const b = await register(hub, 'later-2', false);
    expect(b).toBe(a + 1);
  });
});
