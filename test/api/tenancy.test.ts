import { createPublicKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_ISSUER, REGISTRY_SERVICE } from '../../hub/src/registry/token-signer.js';
import { can, type Action, type Role } from '../../hub/src/services/permissions.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { connectNode, enrollNode } from '../helpers/fleet.js';
import { basic, makeRepositoryHub, type RepositoryHub } from '../helpers/repository-hub.js';
import { registration, seedRoles, type RoleFixture } from '../helpers/roles.js';
import { storeSnapshot } from '../helpers/security-fixtures.js';

/**
 * Tenancy as one table (docs/security.md): for every endpoint, a user of business A neither reads
 * nor changes business B's objects, and general users cannot do admin things. Every refused call
 * leaves the store (memory and file writes) and the registry exactly as they were. A last check
 * makes sure the tables name every route the app serves, so a new endpoint cannot slip past them.
 */

interface Fixture {
  roles: RoleFixture;
  /** Business B's objects. */
  b: { appName: string; deployId: number; pendingId: number; projectId: number; image: string; repoId: string; memberId: number; registryUser: string };
  /** Business A's own objects of the same kinds, so that "A does not see B's" is not trivially true. */
  a: { appName: string; deployId: number; pendingId: number; projectId: number; image: string; repoId: string; memberId: number; registryUser: string };
}

let reg: FakeRegistry;
let hub: RepositoryHub;
let f: Fixture;

const REG_PASSWORD = 'Regpass123';
const CLUSTER = 'TenancyC';

async function ok(method: string, path: string, token: string, body?: unknown) {
  const r = await hub.call(method, path, { token, body });
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.body.message}`);
  return r.body;
}

/** A business's objects: an app deployed (auto-approved), a deploy waiting for audit, a private project with an image, an external repository, a registry account. */
async function objectsOf(biz: RoleFixture['a'], tag: string) {
  const appName = `${tag}cam`;
  await ok('POST', '/v1/app', biz.admin.token, { appName, deployType: 'deployment', image: 'busybox:1', version: '1.0', port: [], replicas: 1 });
  const deployId = (await ok('POST', '/v1/deploy', biz.admin.token, { appName, version: '1.0', clusterName: [CLUSTER] })).data.id as number;
  const pendingId = (await ok('POST', '/v1/deploy', biz.member.token, { appName, version: '1.0', clusterName: [CLUSTER] })).data.id as number;
  const projectName = `${tag}-priv`;
  const projectId = (await ok('POST', '/v1/repository/project', biz.admin.token, { projectName, public: false })).data.projectId as number;
  const image = `${projectName}/x`;
  reg.push(image, 'v1', '2026-01-01T00:00:00Z');
  const repoId = `${tag}-repo`;
  await ok('POST', '/v1/repository/third', biz.admin.token, { repositoryId: repoId, address: `${tag}.registry.example`, user: `${tag}-puller`, password: `Pull-${tag}-secret` });
  const registryUser = `${tag}-reguser`;
  await ok('POST', '/v1/repository/user', biz.member.token, { user: registryUser, password: REG_PASSWORD });
  return { appName, deployId, pendingId, projectId, image, repoId, memberId: biz.member.id, registryUser };
}

beforeAll(async () => {
  reg = await new FakeRegistry().start();
  hub = await makeRepositoryHub({ registryUrl: reg.url });
  reg.key = hub.registryKey;
  reg.now = hub.clock.now;
  const roles = await seedRoles(hub);
  for (const name of ['T1', 'T2']) connectNode(hub.ctx, await enrollNode(hub.ctx, CLUSTER, name));
  const a = await objectsOf(roles.a, 'alpha');
  const b = await objectsOf(roles.b, 'beta');
  await hub.ctx.workloads.tick();
  await hub.store.flush();
  f = { roles, a, b };
});
afterAll(async () => {
  await hub.cleanup();
  await reg.stop();
});

/** The registry's repositories and tags, to see that nothing was deleted there. */
const registrySnapshot = () => JSON.stringify([...reg.repos].map(([name, r]) => [name, [...r.tags]]));

type Caller = 'aAdmin' | 'aMember';
const tokenOf = (who: Caller) => (who === 'aAdmin' ? f.roles.a.admin : f.roles.a.member).token;
const roleOf = (who: Caller): Role => (who === 'aAdmin' ? 3 : 2);

interface Row {
  /** The route as the app registers it ("METHOD /pattern"). */
  route: string;
  path: (x: Fixture) => string;
  body?: (x: Fixture) => unknown;
  /** Reads: what the answer must not contain of B (a list), and must contain of A's. */
  list?: { hides: (x: Fixture) => string; shows: (x: Fixture) => string };
}

/** Calls on B's objects by A's admin and A's member: 404 (B's object does not exist for A) or 403 (the role may not). */
const ACROSS: Row[] = [
  { route: 'GET /v1/admin/user', path: () => '/v1/admin/user?pageSize=0', list: { hides: () => 'beta-member', shows: () => 'alpha-member' } },
  { route: 'POST /v1/admin/user', path: () => '/v1/admin/user', body: (x) => ({ ...registration('sneaky-into-b', false), businessId: x.roles.b.id }) },
  { route: 'DELETE /v1/admin/user/:userId', path: (x) => `/v1/admin/user/${x.b.memberId}` },
  { route: 'PUT /v1/admin/user/:userId/password', path: (x) => `/v1/admin/user/${x.b.memberId}/password`, body: () => ({ password: 'Taken1234' }) },
  { route: 'PUT /v1/admin/user/:userId', path: (x) => `/v1/admin/user/${x.b.memberId}`, body: () => ({ status: 3 }) },
  { route: 'GET /v1/business', path: () => '/v1/business?pageSize=0', list: { hides: () => '"Beta"', shows: () => '"Alpha"' } },
  { route: 'GET /v1/business/id/:id', path: (x) => `/v1/business/id/${x.roles.b.id}` },
  { route: 'PUT /v1/business/id/:id', path: (x) => `/v1/business/id/${x.roles.b.id}`, body: () => ({ status: 2, comment: 'no' }) },
  { route: 'DELETE /v1/business/id/:id', path: (x) => `/v1/business/id/${x.roles.b.id}` },
  { route: 'GET /v1/app', path: () => '/v1/app?pageSize=0', list: { hides: (x) => `"${x.b.appName}"`, shows: (x) => `"${x.a.appName}"` } },
  { route: 'GET /v1/app/:appName', path: (x) => `/v1/app/${x.b.appName}` },
  { route: 'GET /v1/app/:appName', path: (x) => `/v1/app/${x.b.appName}?businessId=${x.roles.b.id}` },
  { route: 'DELETE /v1/app/:appName', path: (x) => `/v1/app/${x.b.appName}` },
  { route: 'POST /v1/deploy', path: () => '/v1/deploy', body: (x) => ({ appName: x.b.appName, version: '1.0', clusterName: [CLUSTER] }) },
  { route: 'GET /v1/deploy', path: () => '/v1/deploy?pageSize=0', list: { hides: (x) => `"${x.b.appName}"`, shows: (x) => `"${x.a.appName}"` } },
  { route: 'GET /v1/deploy/:id', path: (x) => `/v1/deploy/${x.b.deployId}` },
  { route: 'PUT /v1/deploy/:id', path: (x) => `/v1/deploy/${x.b.pendingId}`, body: () => ({ status: 1, auditComment: 'sure' }) },
  { route: 'DELETE /v1/deploy/:id', path: (x) => `/v1/deploy/${x.b.deployId}` },
  { route: 'GET /v1/deploy/:id/log', path: (x) => `/v1/deploy/${x.b.deployId}/log?nodeName=T1` },
  { route: 'GET /v1/repository/project', path: () => '/v1/repository/project?pageSize=0', list: { hides: () => '"beta-priv"', shows: () => '"alpha-priv"' } },
  { route: 'DELETE /v1/repository/project', path: () => '/v1/repository/project', body: (x) => ({ projectId: [x.b.projectId] }) },
  { route: 'GET /v1/repository/image', path: () => '/v1/repository/image?pageSize=0', list: { hides: (x) => `"${x.b.image}"`, shows: (x) => `"${x.a.image}"` } },
  { route: 'GET /v1/repository/image', path: () => '/v1/repository/image?projectName=beta-priv' },
  { route: 'DELETE /v1/repository/image', path: () => '/v1/repository/image', body: (x) => ({ imageName: [x.b.image] }) },
  { route: 'GET /v1/repository/image/tag', path: (x) => `/v1/repository/image/tag?imageName=${x.b.image}` },
  { route: 'DELETE /v1/repository/image/tag', path: () => '/v1/repository/image/tag', body: (x) => ({ imageName: x.b.image, tag: ['v1'] }) },
  { route: 'GET /v1/repository/third', path: () => '/v1/repository/third?pageSize=0', list: { hides: (x) => `"${x.b.repoId}"`, shows: (x) => `"${x.a.repoId}"` } },
  { route: 'GET /v1/repository/third/:repoId', path: (x) => `/v1/repository/third/${x.b.repoId}` },
  { route: 'DELETE /v1/repository/third', path: () => '/v1/repository/third', body: (x) => ({ repositoryId: [x.b.repoId] }) },
  { route: 'DELETE /v1/repository', path: () => '/v1/repository', body: (x) => ({ repositoryId: [x.b.repoId] }) },
];

/** Admin things, each on the caller's own business's objects or on the shared fleet, so that only the role decides. */
const ADMIN: (Row & { action: Action })[] = [
  { route: 'GET /v1/admin/user', action: 'admin.user.list', path: () => '/v1/admin/user' },
  { route: 'POST /v1/admin/user', action: 'admin.user.create', path: () => '/v1/admin/user', body: () => registration('made-by-member', false) },
  { route: 'GET /v1/admin/settings', action: 'settings.write', path: () => '/v1/admin/settings' },
  { route: 'PUT /v1/admin/settings', action: 'settings.write', path: () => '/v1/admin/settings', body: () => ({ enableAdminAutoDeploy: false }) },
  { route: 'DELETE /v1/admin/user/:userId', action: 'admin.user.delete', path: (x) => `/v1/admin/user/${x.a.memberId}` },
  { route: 'PUT /v1/admin/user/:userId/password', action: 'admin.user.resetPassword', path: (x) => `/v1/admin/user/${x.a.memberId}/password`, body: () => ({ password: 'Taken1234' }) },
  { route: 'PUT /v1/admin/user/:userId', action: 'admin.user.audit', path: (x) => `/v1/admin/user/${x.a.memberId}`, body: () => ({ status: 3 }) },
  { route: 'PUT /v1/business/id/:id', action: 'business.audit', path: (x) => `/v1/business/id/${x.roles.a.id}`, body: () => ({ status: 2, comment: 'x' }) },
  { route: 'DELETE /v1/business/id/:id', action: 'business.delete', path: (x) => `/v1/business/id/${x.roles.a.id}` },
  { route: 'POST /v1/cluster/label', action: 'cluster.label', path: () => '/v1/cluster/label', body: () => ({ clusterLabel: 'mine', clusterName: [CLUSTER] }) },
  { route: 'DELETE /v1/cluster/label', action: 'cluster.label', path: () => '/v1/cluster/label', body: () => ({ clusterLabel: 'mine', clusterName: [CLUSTER] }) },
  { route: 'POST /v1/cluster/token', action: 'cluster.token', path: () => '/v1/cluster/token', body: () => ({ clusterName: CLUSTER }) },
  { route: 'POST /v1/node/label', action: 'node.label', path: () => '/v1/node/label', body: () => ({ nodeLabel: 'mine', clusterName: CLUSTER, nodeName: ['T1'] }) },
  { route: 'DELETE /v1/node/label', action: 'node.label', path: () => '/v1/node/label', body: () => ({ nodeLabel: 'mine', clusterName: CLUSTER, nodeName: ['T1'], deleteDeploy: true }) },
  { route: 'DELETE /v1/node/:nodeName', action: 'node.delete', path: () => `/v1/node/T1?clusterName=${CLUSTER}` },
  { route: 'PUT /v1/deploy/:id', action: 'deploy.audit', path: (x) => `/v1/deploy/${x.a.pendingId}`, body: () => ({ status: 1, auditComment: 'self-approved' }) },
  { route: 'POST /v1/repository/project', action: 'repository.project.create', path: () => '/v1/repository/project', body: () => ({ projectName: 'member-proj', public: true }) },
  { route: 'DELETE /v1/repository/project', action: 'repository.project.delete', path: () => '/v1/repository/project', body: (x) => ({ projectId: [x.a.projectId] }) },
  { route: 'DELETE /v1/repository/image', action: 'repository.image.delete', path: () => '/v1/repository/image', body: (x) => ({ imageName: [x.a.image] }) },
  { route: 'DELETE /v1/repository/image/tag', action: 'repository.image.delete', path: () => '/v1/repository/image/tag', body: (x) => ({ imageName: x.a.image, tag: ['v1'] }) },
  { route: 'POST /v1/repository/third', action: 'repository.third.write', path: () => '/v1/repository/third', body: () => ({ repositoryId: 'member-repo', address: 'r.example', user: 'u', password: 'p' }) },
  { route: 'POST /v1/repository', action: 'repository.third.write', path: () => '/v1/repository', body: () => ({ repositoryId: 'member-repo', address: 'r.example', user: 'u', password: 'p' }) },
  { route: 'DELETE /v1/repository/third', action: 'repository.third.write', path: () => '/v1/repository/third', body: (x) => ({ repositoryId: [x.a.repoId] }) },
  { route: 'DELETE /v1/repository', action: 'repository.third.write', path: () => '/v1/repository', body: (x) => ({ repositoryId: [x.a.repoId] }) },
];

/** Routes with no business object of another tenant to reach and no admin power, and where each is proven. */
const NOT_TENANT_SCOPED: Record<string, string> = {
  'POST /v1/authorization': 'login: no object; throttling in login-throttle tests',
  'PUT /v1/authorization': "the caller's own session",
  'DELETE /v1/authorization': "the caller's own session",
  'DELETE /v1/authorizations': "the caller's own session",
  'GET /v1/authorization': "the caller's own session",
  'POST /v1/user': 'registration: a pending user in no business',
  'PUT /v1/user': "the caller's own password",
  'POST /v1/business': 'role 1 only: a new business, nobody else\'s (role-table test)',
  'GET /v1/cluster': 'the shared fleet, readable by roles 2-4 (API-NOTES)',
  'GET /v1/cluster/label': 'the shared fleet',
  'GET /v1/cluster/label/:clusterName': 'the shared fleet',
  'GET /v1/node': 'the shared fleet',
  'GET /v1/node/label': 'the shared fleet',
  'GET /v1/alert': 'fleet alerts (nodes), readable by roles 2-4',
  'POST /v1/app': 'creates in the caller\'s business only: checked below',
  'POST /v1/repository/user': "the caller's own registry account",
  'PUT /v1/repository/user': "the caller's own registry account",
  'GET /v1/registry/token': 'checked below: another business\'s private image gets no access',
  'GET /v1/events': "per-caller filtering (instance.state only to the deployment's business): events.test.ts",
  'GET /metrics': 'fleet counters, no business data',
  'GET /v1/openapi.json': 'public document',
  'GET /docs': 'static page',
  'GET /docs/': 'static page',
  'GET /docs/init.js': 'static page',
  'GET /docs/:file': 'static page (allow-listed files)',
  'GET /': 'static page',
  'GET /favicon.ico': 'static page',
  'GET /dashboard/:file': 'static page (allow-listed files)',
};

async function expectNothingChanged<T>(what: () => Promise<T>): Promise<T> {
  await hub.store.flush();
  const before = storeSnapshot(hub.store);
  const writes = hub.store.writes;
  const registry = registrySnapshot();
  const r = await what();
  await hub.store.flush();
  expect(storeSnapshot(hub.store)).toBe(before);
  expect(hub.store.writes).toBe(writes);
  expect(registrySnapshot()).toBe(registry);
  return r;
}

describe('business A cannot read or change business B', () => {
  const cases = ACROSS.flatMap((row) => (['aAdmin', 'aMember'] as const).map((who) => ({ ...row, who, method: row.route.split(' ')[0]! })));

  it.each(cases)('$route by $who', async ({ method, path, body, list, who }) => {
    const r = await expectNothingChanged(() => hub.call(method, path(f), { token: tokenOf(who), body: body?.(f) }));
    if (list && r.status === 200) {
      const text = JSON.stringify(r.body.data);
      expect(text).not.toContain(list.hides(f));
      expect(text).toContain(list.shows(f));
    } else {
      expect([403, 404], `${r.status} ${r.body.message}`).toContain(r.status);
      expect(r.body.message).not.toContain('Beta');
    }
  });

  it("A's admin posting an app of B's name makes A's own app; B's is untouched", async () => {
    const before = hub.ctx.store.apps.get(f.roles.b.id, f.b.appName);
    const r = await hub.call('POST', '/v1/app', { token: f.roles.a.admin.token, body: { appName: f.b.appName, deployType: 'deployment', image: 'busybox:1', version: '9.9', port: [] } });
    expect(r.status).toBe(200);
    expect(r.body.data.businessId).toBe(f.roles.a.id);
    expect(hub.ctx.store.apps.get(f.roles.b.id, f.b.appName)).toEqual(before);
    expect((await hub.call('DELETE', `/v1/app/${f.b.appName}`, { token: f.roles.a.admin.token })).status).toBe(200);
    expect(hub.ctx.store.apps.get(f.roles.b.id, f.b.appName)).toEqual(before);
  });

  it("A's registry account gets no access to B's private image; B's does", async () => {
    const access = async (user: string) => {
      const r = await hub.call('GET', `/v1/registry/token?service=vsm-registry&scope=${encodeURIComponent(`repository:${f.b.image}:pull,push,delete`)}`, {
        headers: { authorization: basic(user, REG_PASSWORD) },
      });
      expect(r.status).toBe(200);
      const { payload } = await jwtVerify(r.body.token!, createPublicKey(hub.registryKey), { issuer: REGISTRY_ISSUER, audience: REGISTRY_SERVICE, currentDate: new Date(hub.clock.now()) });
      return (payload.access as { actions: string[] }[]).flatMap((a) => a.actions);
    };
    expect(await access(f.a.registryUser)).toEqual([]);
    expect(await access(f.b.registryUser)).toContain('pull');
  });
});

describe('general users cannot do admin things', () => {
  const cases = ADMIN.flatMap((row) => ([2, 3] as Role[]).filter((role) => !can(role, row.action)).map((role) => ({ ...row, role })));

  it.each(cases)('$route ($action) by role $role: 403', async ({ path, body, role, route }) => {
    const who: Caller = role === 3 ? 'aAdmin' : 'aMember';
    expect(roleOf(who)).toBe(role);
    const r = await expectNothingChanged(() => hub.call(route.split(' ')[0]!, path(f), { token: tokenOf(who), body: body?.(f) }));
    expect(r.status, r.body.message).toBe(403);
    expect(r.body).toEqual({ code: 403, message: expect.any(String) });
  });

  it('the same calls by the system admin are not refused for the role (the table tests the role, not a broken request)', async () => {
    // Read-only probes: answering other than 403 shows that the bodies and paths above are well formed.
    const admin = f.roles.sysAdmin.token;
    expect((await hub.call('GET', '/v1/admin/user', { token: admin })).status).toBe(200);
    expect((await hub.call('PUT', `/v1/deploy/${f.a.pendingId}`, { token: f.roles.a.admin.token, body: { status: 2, auditComment: 'own admin may' } })).status).toBe(200);
  });
});

describe('the tables cover every endpoint', () => {
  it('names every route the app serves', () => {
    const served = new Set(hub.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
    const covered = new Set([...ACROSS.map((r) => r.route), ...ADMIN.map((r) => r.route), ...Object.keys(NOT_TENANT_SCOPED)]);
    expect([...served].filter((r) => !covered.has(r)), 'routes without a tenancy row').toEqual([]);
    expect([...covered].filter((r) => !served.has(r)), 'rows for routes that no longer exist').toEqual([]);
  });

  it('still sees B through B: the fixture objects exist', async () => {
    const b = f.roles.b.admin.token;
    expect((await hub.call('GET', `/v1/app/${f.b.appName}`, { token: b })).status).toBe(200);
    expect((await hub.call('GET', `/v1/deploy/${f.b.deployId}`, { token: b })).status).toBe(200);
    expect((await hub.call('GET', `/v1/repository/third/${f.b.repoId}`, { token: b })).status).toBe(200);
    expect((await hub.call('GET', `/v1/repository/image/tag?imageName=${f.b.image}`, { token: b })).status).toBe(200);
    expect(hub.ctx.store.users.get(f.b.memberId)?.status).toBe(1);
  });
});
