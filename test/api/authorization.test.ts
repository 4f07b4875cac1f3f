import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_USER, makeTestHub, type TestHub } from '../helpers/hub.js';
import { PASSWORD, seedRoles, type RoleFixture } from '../helpers/roles.js';

let hub: TestHub;
let roles: RoleFixture;

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
});
afterAll(() => hub.cleanup());

describe('POST /v1/authorization (login)', () => {
  it('answers a token in the envelope', async () => {
    const r = await hub.call('POST', '/v1/authorization', { body: { user: ADMIN_USER, password: ADMIN_PASSWORD } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ code: 200, message: 'success', token: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/) });
  });

  it('accepts the user name in any case', async () => {
    const r = await hub.call('POST', '/v1/authorization', { body: { user: 'ALPHA-ADMIN', password: PASSWORD } });
    expect(r.status).toBe(200);
  });

  it.each([
    ['a wrong password', { user: ADMIN_USER, password: 'Wrong12345' }],
    ['an unknown user', { user: 'nobody', password: 'Wrong12345' }],
  ])('answers 401 for %s, without saying which', async (_what, body) => {
    const r = await hub.call('POST', '/v1/authorization', { body });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: 401, message: 'wrong user name or password' });
  });

  it.each([
    ['no body', undefined, /JSON body is required/],
    ['malformed JSON', '{"user": "admin", ', /valid JSON/],
    ['a JSON list', '[]', /JSON object/],
    ['a missing user', '{"password":"x"}', /user is required/],
    ['a missing password', '{"user":"admin"}', /password is required/],
    ['a number as user', '{"user":1,"password":"x"}', /user/],
    ['an empty user', '{"user":"","password":"x"}', /user must not be empty/],
  ])('answers 422 for %s', async (_what, rawBody, message) => {
    const r = await hub.call('POST', '/v1/authorization', rawBody === undefined ? {} : { rawBody });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe(422);
    expect(r.body.message).toMatch(message);
  });
});

describe('GET /v1/authorization', () => {
  it.each([
    ['sysAdmin', 4],
    ['pending', 0],
    ['free', 1],
  ] as const)('tells %s their role %i and the hub flags', async (who, role) => {
    const p = roles[who];
    const r = await hub.call('GET', '/v1/authorization', { token: p.token });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({
      displayName: p.user,
      hasRepoAccount: false,
      role,
      privateProject: true,
      enableIngress: false,
      enableAlert: true,
      enableAdminAutoDeploy: true,
    });
  });

  it('gives role 3 to a business admin and 2 to a member; takes the Bearer form too', async () => {
    const a = await hub.call('GET', '/v1/authorization', { token: `Bearer ${roles.a.admin.token}` });
    expect(a.body.data.role).toBe(3);
    const m = await hub.call('GET', '/v1/authorization', { token: roles.a.member.token });
    expect(m.body.data.role).toBe(2);
  });

  it.each([
    ['no token', undefined],
    ['an empty header', ''],
    ['garbage', 'garbage'],
    ['a token with a broken signature', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AAAA'],
  ])('answers 401 for %s', async (_what, token) => {
    const r = await hub.call('GET', '/v1/authorization', token === undefined ? {} : { token });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe(401);
    expect(r.body.message).toBeTruthy();
  });

  it('answers 401 once the token has expired (fake clock)', async () => {
    const token = await hub.login(roles.free.user, PASSWORD);
    hub.clock.advance(3600 * 1000);
    try {
      const r = await hub.call('GET', '/v1/authorization', { token });
      expect(r.status).toBe(401);
      expect(r.body.message).toMatch(/expired/);
    } finally {
      hub.clock.advance(-3600 * 1000);
    }
  });
});

describe('PUT /v1/authorization (refresh)', () => {
  it('answers a new token and revokes the old one', async () => {
    const old = await hub.login(roles.free.user, PASSWORD);
    const r = await hub.call('PUT', '/v1/authorization', { token: old });
    expect(r.status).toBe(200);
    expect(r.body.token).toBeTruthy();
    expect(r.body.token).not.toBe(old);
    expect((await hub.call('GET', '/v1/authorization', { token: old })).status).toBe(401);
    expect((await hub.call('PUT', '/v1/authorization', { token: old })).status).toBe(401);
    expect((await hub.call('GET', '/v1/authorization', { token: r.body.token })).status).toBe(200);
  });

  it('works for a pending user too (role 0 may keep its session)', async () => {
    const token = await hub.login(roles.pending.user, PASSWORD);
    expect((await hub.call('PUT', '/v1/authorization', { token })).status).toBe(200);
  });

  it('answers 401 without a token', async () => {
    expect((await hub.call('PUT', '/v1/authorization')).status).toBe(401);
  });
});

describe('DELETE /v1/authorization and /v1/authorizations (logout)', () => {
  it.each(['/v1/authorization', '/v1/authorizations'])('%s revokes only the token it was given', async (path) => {
    const [a, b] = [await hub.login(roles.free.user, PASSWORD), await hub.login(roles.free.user, PASSWORD)];
    const r = await hub.call('DELETE', path, { token: a });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ code: 200, message: 'success' });
    expect((await hub.call('GET', '/v1/authorization', { token: a })).status).toBe(401);
    expect((await hub.call('DELETE', path, { token: a })).status).toBe(401);
    expect((await hub.call('GET', '/v1/authorization', { token: b })).status).toBe(200);
  });

  it('keeps the revocation in the data file', async () => {
    const token = await hub.login(roles.free.user, PASSWORD);
    const before = hub.ctx.store.revocations.count();
    await hub.call('DELETE', '/v1/authorization', { token });
    await hub.store.flush();
    const { readFile } = await import('node:fs/promises');
    const doc = JSON.parse(await readFile(`${hub.dir}/hub.json`, 'utf8')) as { revocations: unknown[] };
    expect(doc.revocations).toHaveLength(before + 1);
  });

  it('answers 401 without a token', async () => {
    expect((await hub.call('DELETE', '/v1/authorizations')).status).toBe(401);
  });
});
