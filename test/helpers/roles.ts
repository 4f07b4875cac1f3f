import { ADMIN_PASSWORD, ADMIN_USER, type TestHub } from './hub.js';

/** A logged-in user of the test hub. */
export interface Person {
  id: number;
  user: string;
  password: string;
  token: string;
}

export interface BusinessFixture {
  id: number;
  name: string;
  admin: Person;
  member: Person;
}

/** One user of every role, and two approved businesses for tenancy checks. */
export interface RoleFixture {
  /** Role 4. */
  sysAdmin: Person;
  /** Role 0: registered, waiting for approval. */
  pending: Person;
  /** Role 1: an approved administrator without a business. */
  free: Person;
  /** Business A: its admin is role 3, its member role 2. */
  a: BusinessFixture;
  /** Business B, with its own admin and member. */
  b: BusinessFixture;
}

export const PASSWORD = 'Passw0rdX';

export const registration = (user: string, isAdmin: boolean, password = PASSWORD) => ({
  user,
  password,
  phone: '12345678910',
  realName: `Real ${user}`,
  isAdmin,
});

export const businessInput = (name: string) => ({
  name,
  introduce: `about ${name}`,
  objective: 'watch the gates',
  scale: '10 nodes',
});

function expectOk(r: { status: number; body: { message: string } }, what: string): void {
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.body.message}`);
}

/** POST /v1/user: a pending user; returns its id. */
export async function register(hub: TestHub, user: string, isAdmin: boolean, password = PASSWORD): Promise<number> {
  const r = await hub.call('POST', '/v1/user', { body: registration(user, isAdmin, password) });
  expectOk(r, `register ${user}`);
  return r.body.data.id as number;
}

/** The system admin sets a user's status (1 approves). */
export async function auditUser(hub: TestHub, adminToken: string, id: number, status: number): Promise<void> {
  expectOk(await hub.call('PUT', `/v1/admin/user/${id}`, { token: adminToken, body: { status } }), `audit user ${id}`);
}

/** Registers, approves and logs in an administrator without a business (role 1). */
export async function approvedAdmin(hub: TestHub, adminToken: string, user: string): Promise<Person> {
  const id = await register(hub, user, true);
  await auditUser(hub, adminToken, id, 1);
  return { id, user, password: PASSWORD, token: await hub.login(user, PASSWORD) };
}

/** An approved business: its creator (role 3 once approved) and a general member (role 2) created by them. */
export async function approvedBusiness(hub: TestHub, adminToken: string, name: string, prefix: string): Promise<BusinessFixture> {
  const admin = await approvedAdmin(hub, adminToken, `${prefix}-admin`);
  const created = await hub.call('POST', '/v1/business', { token: admin.token, body: businessInput(name) });
  expectOk(created, `create business ${name}`);
  const id = created.body.data.id as number;
  expectOk(await hub.call('PUT', `/v1/business/id/${id}`, { token: adminToken, body: { status: 1, comment: 'ok' } }), `approve ${name}`);
  const user = `${prefix}-member`;
  const sub = await hub.call('POST', '/v1/admin/user', { token: admin.token, body: registration(user, false) });
  expectOk(sub, `create member ${user}`);
  const member = { id: sub.body.data.id as number, user, password: PASSWORD, token: await hub.login(user, PASSWORD) };
  return { id, name, admin, member };
}

/** Every role, built through the API so the flows themselves are exercised. */
export async function seedRoles(hub: TestHub): Promise<RoleFixture> {
  const adminToken = await hub.login(ADMIN_USER, ADMIN_PASSWORD);
  const sysAdmin = { id: hub.ctx.store.users.byName(ADMIN_USER)!.id, user: ADMIN_USER, password: ADMIN_PASSWORD, token: adminToken };
  const pendingP = (async () => {
    const id = await register(hub, 'pending-user', false);
    return { id, user: 'pending-user', password: PASSWORD, token: await hub.login('pending-user', PASSWORD) };
  })();
  const [pending, free, a, b] = await Promise.all([
    pendingP,
    approvedAdmin(hub, adminToken, 'free-admin'),
    approvedBusiness(hub, adminToken, 'Alpha', 'alpha'),
    approvedBusiness(hub, adminToken, 'Beta', 'beta'),
  ]);
  return { sysAdmin, pending, free, a, b };
}

/** The fixture person who has `role` (0 pending .. 4 system admin); business A for roles 2 and 3. */
export function personOf(roles: RoleFixture, role: number): Person {
  const p = [roles.pending, roles.free, roles.a.member, roles.a.admin, roles.sysAdmin][role];
  if (!p) throw new Error(`no fixture person has role ${role}`);
  return p;
}

/** A token for a user without the cost of a login (for tables of many calls). */
export function mintToken(hub: TestHub, userId: number): Promise<string> {
  const u = hub.ctx.store.users.get(userId);
  if (!u) throw new Error(`no user ${userId}`);
  return hub.ctx.tokens.issue(u.id, u.sessionEpoch);
}
