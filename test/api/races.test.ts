import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../hub/src/errors.js';
import { verifyPassword } from '../../hub/src/services/passwords.js';
import { makeTestHub, type TestHub } from '../helpers/hub.js';
import { PASSWORD, registration, seedRoles, type Person, type RoleFixture } from '../helpers/roles.js';

/**
 * Requests that overlap while a password hash is computed (tens of ms). Services are called
 * directly so the overlap is certain: each takes its snapshot before its first await.
 */
let hub: TestHub;
let roles: RoleFixture;

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
});
afterAll(() => hub.cleanup());

async function member(user: string): Promise<Person> {
  const r = await hub.call('POST', '/v1/admin/user', { token: roles.a.admin.token, body: registration(user, false) });
  expect(r.status).toBe(200);
  return { id: r.body.data.id as number, user, password: PASSWORD, token: await hub.login(user, PASSWORD) };
}

const caller = (token: string) => hub.ctx.users.authenticate(token);

async function appErrorOf(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe('overlapping changes', () => {
  it('a reset of a user deleted meanwhile is a 404, not a crash', async () => {
    const m = await member('race-reset');
    const admin = await caller(roles.a.admin.token);
    const reset = hub.ctx.users.resetPassword(admin, m.id, 'Reset1234');
    await hub.ctx.users.remove(admin, m.id);
    expect((await appErrorOf(reset)).status).toBe(404);
    expect(hub.ctx.store.users.get(m.id)).toBeUndefined();
  });

  it('changing the password of an account deleted meanwhile is a 401, not a crash', async () => {
    const m = await member('race-own');
    const [self, admin] = [await caller(m.token), await caller(roles.a.admin.token)];
    const change = hub.ctx.users.changeOwnPassword(self, PASSWORD, 'Mine12345', 'ip');
    await hub.ctx.users.remove(admin, m.id);
    expect((await appErrorOf(change)).status).toBe(401);
  });

  it('an admin reset overlapping a self-service change leaves no session of the user alive', async () => {
    const m = await member('race-both');
    // Both callers first: a reset that finished before the user's token was read would end the test early.
    const [admin, self] = [await caller(roles.a.admin.token), await caller(m.token)];
    const reset = hub.ctx.users.resetPassword(admin, m.id, 'Reset1234');
    const change = hub.ctx.users.changeOwnPassword(self, PASSWORD, 'Mine12345', 'ip');
    const [r, c] = await Promise.allSettled([reset, change]);
    expect(r.status).toBe('fulfilled');
    if (c.status === 'fulfilled') {
      expect((await hub.call('GET', '/v1/authorization', { token: c.value })).status).toBe(401);
    }
    const u = hub.ctx.store.users.get(m.id)!;
    expect(await verifyPassword('Reset1234', u.passwordHash)).toBe(true);
  });

  it('forbidding a user while they change their password ends that change too', async () => {
    const m = await member('race-forbid');
    const change = hub.ctx.users.changeOwnPassword(await caller(m.token), PASSWORD, 'Mine12345', 'ip');
    await hub.ctx.users.audit(await caller(roles.sysAdmin.token), m.id, 3);
    const e = await change.then(
      (token) => hub.call('GET', '/v1/authorization', { token }).then((r) => r.status),
      (err: unknown) => (err instanceof AppError ? err.status : err),
    );
    expect(e).toBe(401);
  });
});
