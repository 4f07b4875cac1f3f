import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBody, makeAppHub, type AppHub } from '../helpers/apps.js';
import type { TestHub } from '../helpers/hub.js';
import type { RoleFixture } from '../helpers/roles.js';

let f: AppHub;
let hub: TestHub;
let roles: RoleFixture;
const names = (data: { appName: string }[]) => data.map((a) => a.appName);

beforeAll(async () => {
  f = await makeAppHub();
  ({ hub, roles } = f);
  const a = roles.a.admin.token;
  for (const [appName, version] of [['cam-ingest', '1.0'], ['alpha-web', '1.0'], ['nginx1', '1.2'], ['zeta', '0.1']] as const) {
    const r = await hub.call('POST', '/v1/app', { token: a, body: appBody({ appName, version }) });
    if (r.status !== 200) throw new Error(`create ${appName}: ${r.body.message}`);
  }
  await hub.call('POST', '/v1/app', { token: roles.b.admin.token, body: appBody({ appName: 'beta-only' }) });
});
afterAll(() => hub.cleanup());

describe('POST /v1/app', () => {
  it('creates an app in the caller business with its first version', async () => {
    const r = await hub.call('POST', '/v1/app', { token: roles.a.member.token, body: appBody({ appName: 'member-app', port: [80, { containerPort: 443, hostPort: 8443 }] }) });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ appName: 'member-app', businessId: roles.a.id, userId: roles.a.member.id, versions: [{ version: '1.2', image: 'nginx:latest', replicas: 3 }] });
    expect(r.body.data.versions[0].port).toEqual([{ containerPort: 80, protocol: 'tcp' }, { containerPort: 443, hostPort: 8443, protocol: 'tcp' }]);
  });

  it('appends a new version to an existing app', async () => {
    const r = await hub.call('POST', '/v1/app', { token: roles.a.admin.token, body: appBody({ appName: 'zeta', version: '0.2', image: 'zeta:0.2' }) });
    expect(r.status).toBe(200);
    expect(r.body.data.versions.map((v: { version: string }) => v.version)).toEqual(['0.1', '0.2']);
    const one = await hub.call('GET', '/v1/app/zeta', { token: roles.a.member.token });
    expect(one.body.data.versions).toHaveLength(2);
    expect(one.body.data.versions[1]).toMatchObject({ version: '0.2', image: 'zeta:0.2' });
  });

  it('refuses a version the app already has (409)', async () => {
    const r = await hub.call('POST', '/v1/app', { token: roles.a.member.token, body: appBody({ appName: 'nginx1', version: '1.2', image: 'other' }) });
    expect(r.status).toBe(409);
    expect(r.body.message).toMatch(/nginx1 already has version 1\.2/);
  });

  it('lets another business use the same app name', async () => {
    const r = await hub.call('POST', '/v1/app', { token: roles.b.member.token, body: appBody({ appName: 'nginx1' }) });
    expect(r.status).toBe(200);
    expect(r.body.data.businessId).toBe(roles.b.id);
  });

  it.each([
    ['a bad version', { version: '1' }, /version must look like x\.x/],
    ['a bad deployType', { deployType: 'cronjob' }, /deployType/],
    ['negative replicas', { replicas: -2 }, /replicas must be at least 0/],
    ['an upper-case name', { appName: 'Nginx' }, /appName/],
    ['minMemory over maxMemory', { minMemory: 100, maxMemory: 50 }, /minMemory must not exceed maxMemory/],
    ['a relative volume target', { volume: ['data:rel/path'] }, /absolute/],
  ])('answers 422 for %s', async (_, over, message) => {
    const r = await hub.call('POST', '/v1/app', { token: roles.a.admin.token, body: appBody(over) });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 422, message: expect.stringMatching(message) });
  });

  it('answers 422 for malformed JSON and a missing body', async () => {
    expect((await hub.call('POST', '/v1/app', { token: roles.a.admin.token, rawBody: '{"appName":' })).status).toBe(422);
    expect((await hub.call('POST', '/v1/app', { token: roles.a.admin.token })).body).toMatchObject({ code: 422, message: 'a JSON body is required' });
  });

  it('refuses roles 0, 1 and the system admin (403) and no token (401)', async () => {
    for (const token of [roles.pending.token, roles.free.token, roles.sysAdmin.token]) {
      expect((await hub.call('POST', '/v1/app', { token, body: appBody({ appName: 'forbidden' }) })).status).toBe(403);
    }
    expect((await hub.call('POST', '/v1/app', { body: appBody({ appName: 'forbidden' }) })).status).toBe(401);
    expect(hub.store.apps.all().some((a) => a.appName === 'forbidden')).toBe(false);
  });
});

describe('GET /v1/app', () => {
  it('lists the business apps by id with total', async () => {
    const r = await hub.call('GET', '/v1/app?pageSize=0', { token: roles.a.member.token });
    expect(r.status).toBe(200);
    expect(names(r.body.data).slice(0, 4)).toEqual(['cam-ingest', 'alpha-web', 'nginx1', 'zeta']);
    expect(r.body.total).toBe(r.body.data.length);
    expect(names(r.body.data)).not.toContain('beta-only');
  });

  it('orders by appName, pages and filters by name', async () => {
    const byName = await hub.call('GET', '/v1/app?orderBy=appName&pageSize=0', { token: roles.a.admin.token });
    const all = names(byName.body.data);
    expect(all).toEqual([...all].sort());
    const desc = await hub.call('GET', '/v1/app?orderBy=appName&order=desc&pageSize=2&page=1', { token: roles.a.admin.token });
    expect(names(desc.body.data)).toEqual([...all].reverse().slice(0, 2));
    expect(desc.body.total).toBe(all.length);
    const p2 = await hub.call('GET', '/v1/app?orderBy=appName&pageSize=2&page=2', { token: roles.a.admin.token });
    expect(names(p2.body.data)).toEqual(all.slice(2, 4));
    const filtered = await hub.call('GET', '/v1/app?appName=a-', { token: roles.a.admin.token });
    expect(names(filtered.body.data)).toEqual(['alpha-web']);
    expect(filtered.body.total).toBe(1);
  });

  it('shows the system admin the apps of every business', async () => {
    const r = await hub.call('GET', '/v1/app?pageSize=0', { token: roles.sysAdmin.token });
    expect(names(r.body.data)).toEqual(expect.arrayContaining(['cam-ingest', 'beta-only']));
  });

  it('shows business B none of business A', async () => {
    const r = await hub.call('GET', '/v1/app?pageSize=0', { token: roles.b.admin.token });
    expect(names(r.body.data)).not.toContain('cam-ingest');
    expect(r.body.data.every((a: { businessId: number }) => a.businessId === roles.b.id)).toBe(true);
  });

  it.each(['orderBy=createTime', 'page=0', 'pageSize=x', 'order=up'])('answers 422 for %s', async (q) => {
    const r = await hub.call('GET', `/v1/app?${q}`, { token: roles.a.admin.token });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(/orderBy|page|order/);
  });

  it('refuses roles 0 and 1 (403) and no token (401)', async () => {
    expect((await hub.call('GET', '/v1/app', { token: roles.pending.token })).status).toBe(403);
    expect((await hub.call('GET', '/v1/app', { token: roles.free.token })).status).toBe(403);
    expect((await hub.call('GET', '/v1/app')).status).toBe(401);
  });
});

describe('GET /v1/app/[appName]', () => {
  it('answers one app with all its versions', async () => {
    const r = await hub.call('GET', '/v1/app/nginx1', { token: roles.a.admin.token });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ appName: 'nginx1', businessId: roles.a.id, versions: [{ version: '1.2', deployType: 'deployment' }] });
  });

  it('answers 404 for an unknown app and for the app of another business', async () => {
    expect((await hub.call('GET', '/v1/app/nope', { token: roles.a.admin.token })).status).toBe(404);
    expect((await hub.call('GET', '/v1/app/cam-ingest', { token: roles.b.admin.token })).status).toBe(404);
    expect((await hub.call('GET', '/v1/app/cam-ingest', { token: roles.b.member.token })).status).toBe(404);
  });

  it('lets the system admin pick the business of a shared name', async () => {
    const r = await hub.call('GET', `/v1/app/nginx1?businessId=${roles.b.id}`, { token: roles.sysAdmin.token });
    expect(r.body.data.businessId).toBe(roles.b.id);
    expect((await hub.call('GET', '/v1/app/nginx1?businessId=x', { token: roles.sysAdmin.token })).status).toBe(422);
  });

  it('answers 422 for a malformed name, 403 for roles 0/1, 401 without a token', async () => {
    expect((await hub.call('GET', '/v1/app/Bad_Name', { token: roles.a.admin.token })).status).toBe(422);
    expect((await hub.call('GET', '/v1/app/nginx1', { token: roles.free.token })).status).toBe(403);
    expect((await hub.call('GET', '/v1/app/nginx1')).status).toBe(401);
  });
});

describe('DELETE /v1/app/[appName]', () => {
  it('refuses while deployed (409) and deletes once the deploy is gone', async () => {
    const a = roles.a.admin.token;
    const d = await hub.call('POST', '/v1/deploy', { token: a, body: { appName: 'alpha-web', version: '1.0', clusterName: ['BeiJing'] } });
    expect(d.status).toBe(200);
    const blocked = await hub.call('DELETE', '/v1/app/alpha-web', { token: a });
    expect(blocked.status).toBe(409);
    expect(blocked.body.message).toMatch(/deploy/);
    expect((await hub.call('DELETE', `/v1/deploy/${d.body.data.id}`, { token: a })).status).toBe(200);
    expect((await hub.call('DELETE', '/v1/app/alpha-web', { token: a })).status).toBe(200);
    expect((await hub.call('GET', '/v1/app/alpha-web', { token: a })).status).toBe(404);
  });

  it('refuses while a deploy waits for audit (409)', async () => {
    const d = await hub.call('POST', '/v1/deploy', { token: roles.a.member.token, body: { appName: 'zeta', version: '0.1', clusterName: ['BeiJing'] } });
    expect(d.body.data.status).toBe(0);
    expect((await hub.call('DELETE', '/v1/app/zeta', { token: roles.a.member.token })).status).toBe(409);
  });

  it('answers 404 for the app of another business and leaves it alone', async () => {
    expect((await hub.call('DELETE', '/v1/app/cam-ingest', { token: roles.b.admin.token })).status).toBe(404);
    expect((await hub.call('GET', '/v1/app/cam-ingest', { token: roles.a.admin.token })).status).toBe(200);
  });

  it('refuses the system admin and roles 0/1 (403), no token (401), a bad name (422)', async () => {
    for (const token of [roles.sysAdmin.token, roles.pending.token, roles.free.token]) {
      expect((await hub.call('DELETE', '/v1/app/cam-ingest', { token })).status).toBe(403);
    }
    expect((await hub.call('DELETE', '/v1/app/cam-ingest')).status).toBe(401);
    expect((await hub.call('DELETE', '/v1/app/BAD', { token: roles.a.admin.token })).status).toBe(422);
    expect((await hub.call('GET', '/v1/app/cam-ingest', { token: roles.a.admin.token })).status).toBe(200);
  });
});
