import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can, type Action, type Role } from '../../hub/src/services/permissions.js';
import { makeTestHub, type TestHub } from '../helpers/hub.js';
import { businessInput, mintToken, PASSWORD, personOf, registration, seedRoles, type RoleFixture } from '../helpers/roles.js';

/**
 * Every endpoint that takes a token, called by every role. Bodies are valid and ids unknown or
 * names taken, so an allowed call ends in 200, 404, 409 or 422 without changing anything, and a
 * forbidden one in 403. `action` is the row of PERMISSIONS the endpoint answers to.
 */
const ENDPOINTS: { method: string; path: string; action: Action; body?: unknown }[] = [
  { method: 'GET', path: '/v1/authorization', action: 'session.use' },
  { method: 'PUT', path: '/v1/authorization', action: 'session.use' },
  { method: 'DELETE', path: '/v1/authorization', action: 'session.use' },
  { method: 'DELETE', path: '/v1/authorizations', action: 'session.use' },
  { method: 'PUT', path: '/v1/user', action: 'user.changeOwnPassword', body: { oldPassword: 'NotMine123', password: 'Another123' } },
  { method: 'GET', path: '/v1/admin/user', action: 'admin.user.list' },
  { method: 'POST', path: '/v1/admin/user', action: 'admin.user.create', body: registration('admin', false) },
  { method: 'DELETE', path: '/v1/admin/user/999999', action: 'admin.user.delete' },
  { method: 'PUT', path: '/v1/admin/user/999999/password', action: 'admin.user.resetPassword', body: { password: PASSWORD } },
  { method: 'PUT', path: '/v1/admin/user/999999', action: 'admin.user.audit', body: { status: 1 } },
  { method: 'POST', path: '/v1/business', action: 'business.create', body: businessInput('Alpha') },
  { method: 'GET', path: '/v1/business', action: 'business.read' },
  { method: 'GET', path: '/v1/business/id/999999', action: 'business.read' },
  { method: 'PUT', path: '/v1/business/id/999999', action: 'business.audit', body: { status: 1, comment: 'x' } },
  { method: 'DELETE', path: '/v1/business/id/999999', action: 'business.delete' },
];

const ROLES: Role[] = [0, 1, 2, 3, 4];

let hub: TestHub;
let roles: RoleFixture;

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
});
afterAll(() => hub.cleanup());


describe('who may call what', () => {
  it('the fixture users have the roles the table assumes', async () => {
    for (const role of ROLES) {
      const r = await hub.call('GET', '/v1/authorization', { token: personOf(roles, role).token });
      expect(r.body.data.role).toBe(role);
    }
  });

  const cases = ENDPOINTS.flatMap((e) => ROLES.map((role) => ({ ...e, role, allowed: can(role, e.action) })));
  it.each(cases)('$method $path by role $role: allowed=$allowed', async ({ method, path, body, role, allowed }) => {
    const token = await mintToken(hub, personOf(roles, role).id);
    const r = await hub.call(method, path, { token, body });
    if (allowed) {
      expect(r.status, r.body.message).not.toBe(403);
      expect([200, 404, 409, 422]).toContain(r.status);
    } else {
      expect(r.status, r.body.message).toBe(403);
      expect(r.body).toEqual({ code: 403, message: expect.any(String) });
    }
  });

  const forged = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
  it.each(ENDPOINTS)('$method $path answers 401 without a token or with a bad one', async ({ method, path, body }) => {
    for (const token of [undefined, 'garbage', forged, 'Bearer ']) {
      const r = await hub.call(method, path, token === undefined ? { body } : { token, body });
      expect(r.status, String(token)).toBe(401);
      expect(r.body).toEqual({ code: 401, message: expect.any(String) });
    }
  });

  it('nothing above changed the data', () => {
    expect(hub.ctx.store.users.get(roles.a.member.id)?.status).toBe(1);
    expect(hub.ctx.store.businesses.all().filter((b) => b.status === 1)).toHaveLength(2);
  });
});
