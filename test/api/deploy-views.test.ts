import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBody, makeAppHub, type AppHub } from '../helpers/apps.js';
import type { TestHub } from '../helpers/hub.js';
import type { RoleFixture } from '../helpers/roles.js';

let f: AppHub;
let hub: TestHub;
let roles: RoleFixture;
let webId: number;
let camId: number;
const get = (path: string, token?: string) => hub.call('GET', path, { token });

beforeAll(async () => {
  f = await makeAppHub();
  ({ hub, roles } = f);
  const a = roles.a.admin.token;
  await hub.call('POST', '/v1/app', { token: a, body: appBody({ appName: 'web', replicas: 2 }) });
  await hub.call('POST', '/v1/app', { token: a, body: appBody({ appName: 'cam', replicas: 4 }) });
  await hub.call('POST', '/v1/app', { token: roles.b.admin.token, body: appBody({ appName: 'beta' }) });
  webId = (await hub.call('POST', '/v1/deploy', { token: a, body: { appName: 'web', version: '1.2', clusterName: ['BeiJing'] } })).body.data.id;
  camId = (await hub.call('POST', '/v1/deploy', { token: a, body: { appName: 'cam', version: '1.2', clusterName: ['GuangZhou'], nodeLabel: 'cam' } })).body.data.id;
  await hub.call('POST', '/v1/deploy', { token: roles.b.admin.token, body: { appName: 'beta', version: '1.2', clusterName: ['BeiJing'] } });
  await hub.ctx.workloads.tick();
});
afterAll(() => hub.cleanup());

describe('GET /v1/deploy and /v1/deploy/[id]', () => {
  it('lists the business deploys with their instances', async () => {
    const r = await get('/v1/deploy', roles.a.member.token);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.data.map((d: { appName: string }) => d.appName)).toEqual(['web', 'cam']);
    expect(f.nodeNames(r.body.data[0])).toEqual(['BJ1', 'BJ1']);
    expect(r.body.data[0].instances[0]).toMatchObject({ nodeName: 'BJ1', clusterName: 'BeiJing', state: 'pending', version: '1.2' });
  });

  it('filters by appName and pages', async () => {
    expect((await get('/v1/deploy?appName=cam', roles.a.admin.token)).body).toMatchObject({ total: 1, data: [{ id: camId }] });
    const p = await get('/v1/deploy?pageSize=1&page=2', roles.a.admin.token);
    expect(p.body).toMatchObject({ total: 2, data: [{ id: camId }] });
    expect((await get('/v1/deploy?order=desc&pageSize=1', roles.a.admin.token)).body.data[0].id).toBe(camId);
  });

  it('answers one deploy with instances per node', async () => {
    const d = (await get(`/v1/deploy/${camId}`, roles.a.admin.token)).body.data;
    expect(d).toMatchObject({ id: camId, appName: 'cam', nodeLabel: 'cam', clusterName: ['GuangZhou'], status: 1, replicas: 4 });
    expect(f.nodeNames(d)).toEqual(['GZ1', 'GZ1', 'GZ1', 'GZ1']);
  });

  it('keeps tenants apart: business B sees none of A and gets 404 for it; the system admin sees all', async () => {
    const b = await get('/v1/deploy?pageSize=0', roles.b.admin.token);
    expect(b.body.data.map((d: { appName: string }) => d.appName)).toEqual(['beta']);
    expect((await get(`/v1/deploy/${webId}`, roles.b.admin.token)).status).toBe(404);
    expect((await get(`/v1/deploy/${webId}`, roles.b.member.token)).status).toBe(404);
    expect((await get('/v1/deploy?pageSize=0', roles.sysAdmin.token)).body.total).toBe(3);
    expect((await get(`/v1/deploy/${webId}`, roles.sysAdmin.token)).status).toBe(200);
  });

  it('answers 404 for an unknown id, 422 for a bad id or query', async () => {
    expect((await get('/v1/deploy/9999', roles.a.admin.token)).status).toBe(404);
    for (const path of ['/v1/deploy/abc', '/v1/deploy/0', '/v1/deploy?page=0', '/v1/deploy?order=sideways']) {
      const r = await get(path, roles.a.admin.token);
      expect(r.status, path).toBe(422);
      expect(r.body.message).toMatch(/id|page|order/);
    }
  });
});

describe('GET /v1/deploy/[id]/log', () => {
  it('fetches the recent lines from the agent of the node', async () => {
    const d = (await get(`/v1/deploy/${webId}`, roles.a.admin.token)).body.data;
    const r = await get(`/v1/deploy/${webId}/log?nodeName=BJ1&tail=5`, roles.a.member.token);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ nodeName: 'BJ1', instanceId: d.instances[0].instanceId, lines: [`log of ${d.instances[0].instanceId} on BJ1`, 'tail 5'] });
    expect(f.nodes.BJ1!.link.sent.some((m) => m.type === 'request' && m.method === 'logs')).toBe(true);
  });

  it('answers 404 for a node without an instance of the deploy, and for another business', async () => {
    expect((await get(`/v1/deploy/${webId}/log?nodeName=GZ1`, roles.a.admin.token)).status).toBe(404);
    expect((await get(`/v1/deploy/${webId}/log`, roles.b.admin.token)).status).toBe(404);
  });

  it('answers 422 for a bad tail or nodeName', async () => {
    expect((await get(`/v1/deploy/${webId}/log?tail=0`, roles.a.admin.token)).status).toBe(422);
    expect((await get(`/v1/deploy/${webId}/log?tail=ten`, roles.a.admin.token)).status).toBe(422);
    expect((await get(`/v1/deploy/${webId}/log?nodeName=${'x'.repeat(300)}`, roles.a.admin.token)).status).toBe(422);
  });

  it('answers 503 in the envelope when the node is not connected', async () => {
    hub.ctx.registry.detach(f.nodes.GZ1!.session!, 'test: cable pulled');
    const r = await hub.call('GET', `/v1/deploy/${camId}/log?nodeName=GZ1`, { token: roles.a.admin.token, allow5xx: true });
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ code: 503, message: expect.stringMatching(/not connected/) });
  });
});

describe('DELETE /v1/deploy/[id]', () => {
  it('refuses other businesses (404), roles 0/1 (403), no token (401), a bad id (422)', async () => {
    expect((await hub.call('DELETE', `/v1/deploy/${webId}`, { token: roles.b.admin.token })).status).toBe(404);
    expect((await hub.call('DELETE', `/v1/deploy/${webId}`, { token: roles.free.token })).status).toBe(403);
    expect((await hub.call('DELETE', `/v1/deploy/${webId}`, { token: roles.pending.token })).status).toBe(403);
    expect((await hub.call('DELETE', `/v1/deploy/${webId}`)).status).toBe(401);
    expect((await hub.call('DELETE', '/v1/deploy/x', { token: roles.a.admin.token })).status).toBe(422);
    expect((await get(`/v1/deploy/${webId}`, roles.a.admin.token)).status).toBe(200);
  });

  it('removes the workload from every node', async () => {
    expect(f.desiredOf('BJ1').map((w) => w.appName)).toContain('web');
    expect((await hub.call('DELETE', `/v1/deploy/${webId}`, { token: roles.a.member.token })).status).toBe(200);
    expect((await get(`/v1/deploy/${webId}`, roles.a.admin.token)).status).toBe(404);
    expect(f.desiredOf('BJ1').map((w) => w.appName)).not.toContain('web');
    expect((await hub.call('DELETE', `/v1/deploy/${webId}`, { token: roles.a.admin.token })).status).toBe(404);
  });
});
