import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBody, makeAppHub, type AppHub } from '../helpers/apps.js';
import type { TestHub } from '../helpers/hub.js';
import type { RoleFixture } from '../helpers/roles.js';

let f: AppHub;
let hub: TestHub;
let roles: RoleFixture;
const deploy = (token: string, body: unknown) => hub.call('POST', '/v1/deploy', { token, body });
const view = async (token: string, id: number) => (await hub.call('GET', `/v1/deploy/${id}`, { token })).body.data;

beforeAll(async () => {
  f = await makeAppHub();
  ({ hub, roles } = f);
  const a = roles.a.admin.token;
  for (const body of [
    appBody({ appName: 'web', replicas: 3 }),
    appBody({ appName: 'web', version: '1.3', image: 'nginx:1.27', replicas: 3 }),
    appBody({ appName: 'cam', deployType: 'daemonset' }),
    appBody({ appName: 'queued', replicas: 2 }),
    appBody({ appName: 'refused' }),
  ]) {
    const r = await hub.call('POST', '/v1/app', { token: a, body });
    if (r.status !== 200) throw new Error(r.body.message);
  }
});
afterAll(() => hub.cleanup());

describe('POST /v1/deploy by a business admin (enableAdminAutoDeploy)', () => {
  let id: number;

  it('runs at once: status 1, and a tick places the replicas on the ready nodes of the clusters', async () => {
    const r = await deploy(roles.a.admin.token, { appName: 'web', version: '1.2', clusterName: ['GuangZhou', 'BeiJing'], comment: 'first' });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ appName: 'web', version: '1.2', status: 1, clusterName: ['GuangZhou', 'BeiJing'], comment: 'first', deployType: 'deployment', replicas: 3 });
    id = r.body.data.id;
    await hub.ctx.workloads.tick();
    const v = await view(roles.a.member.token, id);
    expect(f.nodeNames(v)).toEqual(['BJ1', 'GZ1', 'GZ2']); // GZ3 never connected
    for (const i of v.instances) expect(i).toMatchObject({ version: '1.2', state: 'pending', restarts: 0 });
  });

  it('pushes each node its workloads', async () => {
    await hub.ctx.workloads.tick();
    const v = await view(roles.a.admin.token, id);
    for (const i of v.instances) {
      expect(f.desiredOf(i.nodeName)).toEqual([expect.objectContaining({ instanceId: i.instanceId, appName: 'web', version: '1.2', namespace: `ns${roles.a.id}` })]);
    }
    expect(f.nodes.GZ3!.link.sent).toEqual([]);
  });

  it('shows the state the agent reports', async () => {
    const v = await view(roles.a.admin.token, id);
    const first = v.instances[0];
    f.report(first.nodeName, first.instanceId, 'running');
    const after = await view(roles.a.admin.token, id);
    expect(after.instances.find((i: { instanceId: string }) => i.instanceId === first.instanceId)).toMatchObject({ state: 'running', nodeName: first.nodeName, clusterName: expect.any(String) });
  });

  it('is stable: another tick changes nothing', async () => {
    const before = (await view(roles.a.admin.token, id)).instances;
    await hub.ctx.workloads.tick();
    expect((await view(roles.a.admin.token, id)).instances.map((i: { instanceId: string }) => i.instanceId)).toEqual(before.map((i: { instanceId: string }) => i.instanceId));
  });

  it('respects nodeLabel: a daemonset on the labelled nodes only', async () => {
    const r = await deploy(roles.a.admin.token, { appName: 'cam', version: '1.2', clusterName: ['GuangZhou', 'BeiJing'], nodeLabel: 'cam' });
    expect(r.body.data).toMatchObject({ status: 1, nodeLabel: 'cam' });
    await hub.ctx.workloads.tick();
    expect(f.nodeNames(await view(roles.a.admin.token, r.body.data.id))).toEqual(['GZ1']);
  });

  it('a second deploy of the same app supersedes the first and takes over its instances', async () => {
    const before = await view(roles.a.admin.token, id);
    const r = await deploy(roles.a.admin.token, { appName: 'web', version: '1.3', clusterName: ['GuangZhou', 'BeiJing'] });
    expect(r.body.data.status).toBe(1);
    const old = await view(roles.a.admin.token, id);
    expect(old).toMatchObject({ status: 3, instances: [] });
    await hub.ctx.workloads.tick();
    const next = await view(roles.a.admin.token, r.body.data.id);
    // Rolling within replicas + maxSurge: the old replica the agent reported running stays (maxUnavailable 0);
    // the ones that never started serve nothing and retire at once.
    const running = before.instances.find((i: { state: string }) => i.state === 'running');
    const ids = next.instances.map((i: { instanceId: string }) => i.instanceId);
    expect(ids).toContain(running.instanceId);
    expect(next.instances).toHaveLength(4);
    expect(next.instances.filter((i: { version: string }) => i.version === '1.3')).toHaveLength(3);
    expect(f.desiredOf(running.nodeName).map((w) => w.instanceId)).toContain(running.instanceId);
  });
});

describe('POST /v1/deploy by a general user: audit', () => {
  it('waits for audit (status 0) and places nothing', async () => {
    const r = await deploy(roles.a.member.token, { appName: 'queued', version: '1.2', clusterName: ['BeiJing'] });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ status: 0, instances: [], userId: roles.a.member.id });
    await hub.ctx.workloads.tick();
    expect((await view(roles.a.member.token, r.body.data.id)).instances).toEqual([]);
  });

  it('PUT by the business admin approves: instances follow; approving twice is a 409', async () => {
    const d = (await deploy(roles.a.member.token, { appName: 'queued', version: '1.2', clusterName: ['BeiJing'] })).body.data;
    expect((await hub.call('PUT', `/v1/deploy/${d.id}`, { token: roles.a.member.token, body: { status: 1 } })).status).toBe(403);
    const ok = await hub.call('PUT', `/v1/deploy/${d.id}`, { token: roles.a.admin.token, body: { status: 1, auditComment: 'go' } });
    expect(ok.body.data).toMatchObject({ status: 1, auditComment: 'go' });
    await hub.ctx.workloads.tick();
    expect(f.nodeNames(await view(roles.a.admin.token, d.id))).toEqual(['BJ1', 'BJ1']);
    const again = await hub.call('PUT', `/v1/deploy/${d.id}`, { token: roles.a.admin.token, body: { status: 1 } });
    expect(again.status).toBe(409);
  });

  it('PUT status 2 rejects: nothing runs, and it cannot be approved later', async () => {
    const d = (await deploy(roles.a.member.token, { appName: 'refused', version: '1.2', clusterName: ['GuangZhou'] })).body.data;
    const r = await hub.call('PUT', `/v1/deploy/${d.id}`, { token: roles.a.admin.token, body: { status: 2, auditComment: 'not today' } });
    expect(r.body.data).toMatchObject({ status: 2, auditComment: 'not today' });
    await hub.ctx.workloads.tick();
    expect((await view(roles.a.admin.token, d.id)).instances).toEqual([]);
    expect((await hub.call('PUT', `/v1/deploy/${d.id}`, { token: roles.a.admin.token, body: { status: 1 } })).status).toBe(409);
  });

  it('the system admin may audit; business B admin gets 404', async () => {
    const d = (await deploy(roles.a.member.token, { appName: 'refused', version: '1.2', clusterName: ['GuangZhou'] })).body.data;
    expect((await hub.call('PUT', `/v1/deploy/${d.id}`, { token: roles.b.admin.token, body: { status: 1 } })).status).toBe(404);
    const r = await hub.call('PUT', `/v1/deploy/${d.id}`, { token: roles.sysAdmin.token, body: { status: 2 } });
    expect(r.body.data.status).toBe(2);
  });
});

describe('POST /v1/deploy: unknown things', () => {
  it.each([
    ['an unknown app', { appName: 'ghost', version: '1.2', clusterName: ['BeiJing'] }, /app ghost/],
    ['an unknown version', { appName: 'web', version: '9.9', clusterName: ['BeiJing'] }, /version 9\.9/],
    ['an unknown cluster', { appName: 'web', version: '1.2', clusterName: ['BeiJing', 'Atlantis'] }, /cluster Atlantis/],
  ])('answers 404 for %s', async (_, body, message) => {
    const r = await deploy(roles.a.admin.token, body);
    expect(r.status).toBe(404);
    expect(r.body.message).toMatch(message);
  });

  it('answers 404 for the app of another business', async () => {
    expect((await deploy(roles.b.admin.token, { appName: 'web', version: '1.2', clusterName: ['BeiJing'] })).status).toBe(404);
  });
});
