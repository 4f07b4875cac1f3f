import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libtrustKeyId } from '../../hub/src/registry/keys.js';
import { REGISTRY_ISSUER, REGISTRY_SERVICE } from '../../hub/src/registry/token-signer.js';
import { basic, makeRepositoryHub, type RepositoryHub } from '../helpers/repository-hub.js';
import { approvedBusiness, seedRoles, type Person, type RoleFixture } from '../helpers/roles.js';

let hub: RepositoryHub;
let roles: RoleFixture;
const REG_PASSWORD = 'Regpass123';

async function account(p: Person, user: string, password = REG_PASSWORD) {
  return hub.call('POST', '/v1/repository/user', { token: p.token, body: { user, password } });
}

/** GET /v1/registry/token as Docker sends it. */
async function token(auth: string | undefined, scopes: string[] = [], extra = '') {
  const qs = ['service=vsm-registry', 'client_id=docker', ...scopes.map((s) => `scope=${encodeURIComponent(s)}`)].join('&');
  return hub.call('GET', `/v1/registry/token?${qs}${extra}`, auth === undefined ? {} : { headers: { authorization: auth } });
}

async function grants(user: string, scopes: string[], password = REG_PASSWORD) {
  const r = await token(basic(user, password), scopes);
  expect(r.status, r.body.message).toBe(200);
  const { payload } = await jwtVerify(r.body.token!, createPublicKey(hub.registryKey), { issuer: REGISTRY_ISSUER, audience: REGISTRY_SERVICE, currentDate: new Date(hub.clock.now()) });
  return payload.access as { type: string; name: string; actions: string[] }[];
}

beforeAll(async () => {
  hub = await makeRepositoryHub({ registryUrl: 'http://127.0.0.1:9' });
  roles = await seedRoles(hub);
  for (const [token, projectName, isPublic] of [
    [roles.a.admin.token, 'apriv', false],
    [roles.a.admin.token, 'apub', true],
    [roles.sysAdmin.token, 'sys', false],
  ] as const) {
    const r = await hub.call('POST', '/v1/repository/project', { token, body: { projectName, public: isPublic } });
    expect(r.status).toBe(200);
  }
});
afterAll(() => hub.cleanup());

describe('POST and PUT /v1/repository/user', () => {
  it('creates the caller\'s registry account, and GET /v1/authorization says so', async () => {
    const before = await hub.call('GET', '/v1/authorization', { token: roles.a.member.token });
    expect(before.body.data.hasRepoAccount).toBe(false);
    const r = await account(roles.a.member, 'amember');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ user: 'amember', createTime: expect.any(Number), updateTime: expect.any(Number) });
    const after = await hub.call('GET', '/v1/authorization', { token: roles.a.member.token });
    expect(after.body.data.hasRepoAccount).toBe(true);
    expect(JSON.stringify(hub.store.registryAccounts.byName('amember'))).not.toContain(REG_PASSWORD);
  });

  it('allows one account per user and unique names (any case)', async () => {
    expect((await account(roles.a.member, 'another')).status).toBe(409);
    const r = await account(roles.b.member, 'AMEMBER');
    expect(r.status).toBe(409);
    expect(r.body.message).toMatch(/already exists/);
  });

  it.each([
    [{ user: 'x y', password: REG_PASSWORD }, /user must be/],
    [{ user: 'ok-name', password: 'weakpass' }, /password must be 8-20/],
    [{ user: 'ok-name' }, /password is required/],
    [{ password: REG_PASSWORD }, /user is required/],
  ])('answers 422 for %j', async (body, message) => {
    const r = await hub.call('POST', '/v1/repository/user', { token: roles.b.admin.token, body });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
  });

  it('refuses roles 0 and 1 (403) and callers without a token (401)', async () => {
    for (const p of [roles.pending, roles.free]) {
      expect((await account(p, 'nope1')).status).toBe(403);
      expect((await hub.call('PUT', '/v1/repository/user', { token: p.token, body: { password: REG_PASSWORD } })).status).toBe(403);
    }
    expect((await hub.call('POST', '/v1/repository/user', { body: { user: 'x1', password: REG_PASSWORD } })).status).toBe(401);
    expect((await hub.call('PUT', '/v1/repository/user', { body: { password: REG_PASSWORD } })).status).toBe(401);
  });

  it('changes the password of the caller\'s account; 404 without one, 422 for a weak one', async () => {
    expect((await hub.call('PUT', '/v1/repository/user', { token: roles.b.admin.token, body: { password: 'Newpass123' } })).status).toBe(404);
    expect((await hub.call('PUT', '/v1/repository/user', { token: roles.a.member.token, body: { password: 'weak' } })).status).toBe(422);
    expect((await account(roles.a.admin, 'aadmin', 'Oldpass123')).status).toBe(200);
    expect((await hub.call('PUT', '/v1/repository/user', { token: roles.a.admin.token, body: { password: REG_PASSWORD } })).status).toBe(200);
    expect((await token(basic('aadmin', 'Oldpass123'))).status).toBe(401);
    expect((await token(basic('aadmin', REG_PASSWORD))).status).toBe(200);
  });
});

describe('GET /v1/registry/token: what the token service enforces', () => {
  beforeAll(async () => {
    expect((await account(roles.b.member, 'bmember')).status).toBe(200);
    expect((await account(roles.sysAdmin, 'sysreg')).status).toBe(200);
  });

  it('1. no credentials: 401 with a Basic challenge', async () => {
    const r = await token(undefined, ['repository:apub/x:pull']);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('2. a wrong password and an unknown account: the same 401', async () => {
    const a = await token(basic('amember', 'Wrong12345'));
    const b = await token(basic('nobody', 'Wrong12345'));
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.body.message).toBe(b.body.message);
    expect((await token('Bearer something')).status).toBe(401);
  });

  it('3. repeated failures lock the account for that address (429), even with the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await token(basic('bmember', 'Wrong12345'))).status).toBe(401);
    const r = await token(basic('bmember', REG_PASSWORD));
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    hub.clock.advance(31_000);
    expect((await token(basic('bmember', REG_PASSWORD))).status).toBe(200);
  });

  it('4. only this registry\'s service name', async () => {
    const r = await hub.call('GET', '/v1/registry/token?service=other', { headers: { authorization: basic('amember', REG_PASSWORD) } });
    expect(r.status).toBe(422);
  });

  it('5. a signed ES256 token naming the key by its libtrust id, 5 minutes, subject = the authenticated account', async () => {
    const r = await token(basic('amember', REG_PASSWORD), [], '&account=sysreg');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ code: 200, access_token: r.body.token, expires_in: 300, issued_at: expect.any(String) });
    expect(decodeProtectedHeader(r.body.token!)).toMatchObject({ alg: 'ES256', kid: libtrustKeyId(hub.registryKey) });
    const { payload } = await jwtVerify(r.body.token!, createPublicKey(hub.registryKey), { issuer: REGISTRY_ISSUER, audience: REGISTRY_SERVICE, currentDate: new Date(hub.clock.now()) });
    expect(payload.sub).toBe('amember');
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.access).toEqual([]);
  });

  // 6. Scopes: the account owner's business against the project's owner and publicity.
  it.each([
    ['amember', 'repository:apriv/cam:pull,push', [{ type: 'repository', name: 'apriv/cam', actions: ['pull', 'push'] }]],
    ['amember', 'repository:apub/web:pull,push', [{ type: 'repository', name: 'apub/web', actions: ['pull', 'push'] }]],
    ['bmember', 'repository:apriv/cam:pull,push', []],
    ['bmember', 'repository:apriv/cam:pull', []],
    ['bmember', 'repository:apub/web:pull,push', [{ type: 'repository', name: 'apub/web', actions: ['pull'] }]],
    ['bmember', 'repository:apub/web:push', []],
    ['amember', 'repository:sys/base:pull', []],
    ['sysreg', 'repository:apriv/cam:pull,push', [{ type: 'repository', name: 'apriv/cam', actions: ['pull', 'push'] }]],
    ['sysreg', 'repository:sys/base:pull,push', [{ type: 'repository', name: 'sys/base', actions: ['pull', 'push'] }]],
    ['amember', 'repository:noproject/img:pull,push', []],
    ['amember', 'repository:busybox:pull', []],
    ['amember', 'repository:apriv/cam:delete,*', []],
    ['sysreg', 'registry:catalog:*', []],
  ])('6. %s asking %s gets %j', async (user, scope, want) => {
    expect(await grants(user, [scope])).toEqual(want);
  });

  it('6. several scopes in one request are judged one by one', async () => {
    expect(await grants('bmember', ['repository:apub/web:pull', 'repository:apriv/cam:pull,push'])).toEqual([
      { type: 'repository', name: 'apub/web', actions: ['pull'] },
    ]);
  });

  it('7. rights follow the owner: a member who loses the business keeps only public pulls', async () => {
    const c = await approvedBusiness(hub, roles.sysAdmin.token, 'Gamma', 'gamma');
    expect((await hub.call('POST', '/v1/repository/project', { token: c.admin.token, body: { projectName: 'gpriv', public: false } })).status).toBe(200);
    expect((await account(c.member, 'gmember')).status).toBe(200);
    expect(await grants('gmember', ['repository:gpriv/x:pull,push'])).toEqual([{ type: 'repository', name: 'gpriv/x', actions: ['pull', 'push'] }]);
    expect((await hub.call('DELETE', `/v1/business/id/${c.id}`, { token: roles.sysAdmin.token })).status).toBe(200);
    expect(await grants('gmember', ['repository:gpriv/x:pull,push', 'repository:apub/web:pull,push'])).toEqual([
      { type: 'repository', name: 'apub/web', actions: ['pull'] },
    ]);
  });

  it('8. an account whose owner is forbidden or deleted is refused', async () => {
    const c = await approvedBusiness(hub, roles.sysAdmin.token, 'Delta', 'delta');
    expect((await account(c.member, 'dmember')).status).toBe(200);
    expect((await token(basic('dmember', REG_PASSWORD))).status).toBe(200);
    expect((await hub.call('PUT', `/v1/admin/user/${c.member.id}`, { token: roles.sysAdmin.token, body: { status: 3 } })).status).toBe(200);
    expect((await token(basic('dmember', REG_PASSWORD))).status).toBe(401);
    expect((await hub.call('PUT', `/v1/admin/user/${c.member.id}`, { token: roles.sysAdmin.token, body: { status: 1 } })).status).toBe(200);
    expect((await token(basic('dmember', REG_PASSWORD))).status).toBe(200);
    expect((await hub.call('DELETE', `/v1/admin/user/${c.member.id}`, { token: c.admin.token })).status).toBe(200);
    const r = await token(basic('dmember', REG_PASSWORD));
    expect(r.status).toBe(401);
    expect(r.body.message).toMatch(/may not use it/);
  });

  it('9. answers 503 when no registry is configured', async () => {
    const bare = await makeRepositoryHub();
    try {
      const r = await bare.call('GET', '/v1/registry/token', { headers: { authorization: basic('x', 'y') }, allow5xx: true });
      expect(r.status).toBe(503);
      const admin = await bare.login('admin', 'Admin12345');
      expect((await bare.call('POST', '/v1/repository/user', { token: admin, body: { user: 'x1', password: REG_PASSWORD }, allow5xx: true })).status).toBe(503);
    } finally {
      await bare.cleanup();
    }
  });

  it('never logs or stores a registry password', async () => {
    const text = hub.logs.join('\n') + JSON.stringify(hub.store.registryAccounts.byName('amember'));
    for (const p of [REG_PASSWORD, 'Oldpass123', 'Wrong12345']) expect(text).not.toContain(p);
  });
});
