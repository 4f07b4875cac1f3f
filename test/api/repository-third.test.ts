import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepositoryHub, type RepositoryHub } from '../helpers/repository-hub.js';
import { seedRoles, type RoleFixture } from '../helpers/roles.js';

// No registry configured: external repositories do not need one.
let hub: RepositoryHub;
let roles: RoleFixture;
const SECRET = 'Ext-pa55word!';
const SECRET2 = 'other-Secret-77';
const bodies: unknown[] = [];

async function call(method: string, path: string, token: string | undefined, body?: unknown) {
  const r = await hub.call(method, path, { token, body });
  bodies.push(r.body);
  return r;
}

const repo1 = { repositoryId: 'repo1', address: 'registry.example.com:5000', user: 'puller', password: SECRET };

beforeAll(async () => {
  hub = await makeRepositoryHub();
  roles = await seedRoles(hub);
});
afterAll(() => hub.cleanup());

describe('POST /v1/repository/third', () => {
  it('stores the record for the caller\'s business and answers it without the password', async () => {
    const r = await call('POST', '/v1/repository/third', roles.a.admin.token, repo1);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({
      id: expect.any(Number),
      repositoryId: 'repo1',
      address: 'registry.example.com:5000',
      user: 'puller',
      businessId: roles.a.id,
      createTime: expect.any(Number),
      updateTime: expect.any(Number),
    });
  });

  it('accepts the document\'s alias POST /v1/repository', async () => {
    const r = await call('POST', '/v1/repository', roles.a.admin.token, { repositoryId: 'repo2', address: 'https://ghcr.io', user: 'u2', password: SECRET2 });
    expect(r.status).toBe(200);
  });

  it('answers 409 for an id the business has; another business may use the same id', async () => {
    expect((await call('POST', '/v1/repository/third', roles.a.admin.token, repo1)).status).toBe(409);
    expect((await call('POST', '/v1/repository/third', roles.b.admin.token, { ...repo1, password: SECRET2 })).status).toBe(200);
  });

  it.each([
    [{ ...repo1, repositoryId: '' }, /repositoryId must be/],
    [{ ...repo1, repositoryId: 'a b' }, /repositoryId must be/],
    [{ ...repo1, address: 'not an address' }, /address must be/],
    [{ ...repo1, address: 'ftp://x' }, /address must be/],
    [{ ...repo1, user: '' }, /user must not be empty/],
    [{ ...repo1, password: '' }, /password must not be empty/],
    [{ ...repo1, password: 5 }, /password must be a string/],
    [{ repositoryId: 'r', address: 'h', user: 'u' }, /password is required/],
  ])('answers 422 for %j, also on the alias POST /v1/repository', async (body, message) => {
    for (const path of ['/v1/repository/third', '/v1/repository']) {
      const r = await call('POST', path, roles.a.admin.token, body);
      expect(r.status, path).toBe(422);
      expect(r.body.message).toMatch(message);
    }
  });

  it('is for business administrators: members, roles 0, 1 and the system admin get 403; no token 401', async () => {
    for (const p of [roles.a.member, roles.pending, roles.free, roles.sysAdmin]) {
      expect((await call('POST', '/v1/repository/third', p.token, { ...repo1, repositoryId: 'x9' })).status).toBe(403);
    }
    expect((await call('POST', '/v1/repository/third', undefined, repo1)).status).toBe(401);
    expect((await call('POST', '/v1/repository', undefined, repo1)).status).toBe(401);
    expect((await call('DELETE', '/v1/repository', undefined, { repositoryId: ['repo1'] })).status).toBe(401);
  });
});

describe('GET /v1/repository/third and /v1/repository/third/[repoId]', () => {
  it('lists the caller\'s business\'s records to its members, paged, never with passwords', async () => {
    const r = await call('GET', '/v1/repository/third?pageSize=0', roles.a.member.token);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.data.map((x: { repositoryId: string }) => x.repositoryId)).toEqual(['repo1', 'repo2']);
    const p = await call('GET', '/v1/repository/third?pageSize=1&page=1&order=desc', roles.a.member.token);
    expect(p.body.data.map((x: { repositoryId: string }) => x.repositoryId)).toEqual(['repo2']);
    const b = await call('GET', '/v1/repository/third', roles.b.member.token);
    expect(b.body.data.map((x: { businessId: number }) => x.businessId)).toEqual([roles.b.id]);
  });

  it('answers one record; another business\'s is 404', async () => {
    const r = await call('GET', '/v1/repository/third/repo2', roles.a.member.token);
    expect(r.body.data).toMatchObject({ repositoryId: 'repo2', address: 'https://ghcr.io', user: 'u2' });
    expect((await call('GET', '/v1/repository/third/repo2', roles.b.admin.token)).status).toBe(404);
    expect((await call('GET', '/v1/repository/third/nope', roles.a.member.token)).status).toBe(404);
  });

  it.each(['?orderBy=name', '?page=0', '?pageSize=abc'])('answers 422 for %s', async (qs) => {
    expect((await call('GET', `/v1/repository/third${qs}`, roles.a.member.token)).status).toBe(422);
  });

  it('answers 422 for a malformed id, 403 for roles 0, 1, 4 and 401 without a token', async () => {
    expect((await call('GET', '/v1/repository/third/bad%20id', roles.a.member.token)).status).toBe(422);
    for (const p of [roles.pending, roles.free, roles.sysAdmin]) {
      expect((await call('GET', '/v1/repository/third', p.token)).status).toBe(403);
      expect((await call('GET', '/v1/repository/third/repo1', p.token)).status).toBe(403);
    }
    expect((await call('GET', '/v1/repository/third', undefined)).status).toBe(401);
  });
});

describe('pull credentials for agents', () => {
  it('are the decrypted password of that business\'s record, and nothing for another business', () => {
    expect(hub.ctx.externalRepos.pullCredentials(roles.a.id, 'repo1')).toEqual({ address: 'registry.example.com:5000', user: 'puller', password: SECRET });
    expect(hub.ctx.externalRepos.pullCredentials(roles.b.id, 'repo1')?.password).toBe(SECRET2);
    expect(hub.ctx.externalRepos.pullCredentials(roles.b.id, 'repo2')).toBeUndefined();
  });

  it('are sealed at rest: the data file holds no password', async () => {
    await hub.store.flush();
    const file = await readFile(join(hub.dir, 'hub.json'), 'utf8');
    expect(file).not.toContain(SECRET);
    expect(file).not.toContain(SECRET2);
    expect(file).toMatch(/"passwordSealed":"v1\./);
  });
});

describe('DELETE /v1/repository/third', () => {
  it('checks every id before deleting any', async () => {
    const r = await call('DELETE', '/v1/repository/third', roles.a.admin.token, { repositoryId: ['repo1', 'nope'] });
    expect(r.status).toBe(404);
    expect(hub.store.externalRepos.get(roles.a.id, 'repo1')).toBeDefined();
  });

  it('refuses members and other businesses', async () => {
    expect((await call('DELETE', '/v1/repository/third', roles.a.member.token, { repositoryId: ['repo1'] })).status).toBe(403);
    expect((await call('DELETE', '/v1/repository/third', roles.b.admin.token, { repositoryId: ['repo2'] })).status).toBe(404);
  });

  it.each([{ repositoryId: [] }, { repositoryId: 'repo1' }, { repositoryId: ['bad id'] }, {}])('answers 422 for %j, also on the alias DELETE /v1/repository', async (body) => {
    expect((await call('DELETE', '/v1/repository/third', roles.a.admin.token, body)).status).toBe(422);
    expect((await call('DELETE', '/v1/repository', roles.a.admin.token, body)).status).toBe(422);
  });

  it('deletes, also through the alias DELETE /v1/repository', async () => {
    expect((await call('DELETE', '/v1/repository/third', roles.a.admin.token, { repositoryId: ['repo1'] })).status).toBe(200);
    expect((await call('DELETE', '/v1/repository', roles.a.admin.token, { repositoryId: ['repo2'] })).status).toBe(200);
    expect((await call('GET', '/v1/repository/third', roles.a.admin.token)).body.total).toBe(0);
    expect(hub.store.externalRepos.get(roles.b.id, 'repo1')).toBeDefined();
  });
});

describe('the password never leaves the hub', () => {
  it('is in no response and no log line', () => {
    const text = JSON.stringify(bodies) + hub.logs.join('\n');
    expect(hub.logs.some((l) => l.includes('external repository created'))).toBe(true);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET2);
    expect(text).not.toMatch(/passwordSealed/);
  });
});
