import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBody, makeAppHub, type AppHub } from '../helpers/apps.js';
import type { TestHub } from '../helpers/hub.js';
import type { RoleFixture } from '../helpers/roles.js';

let f: AppHub;
let hub: TestHub;
let roles: RoleFixture;
let deployId: number;

beforeAll(async () => {
  f = await makeAppHub();
  ({ hub, roles } = f);
  hub.ctx.desired.start(); // namespace changes push every node, as main.ts wires it
  await hub.call('POST', '/v1/app', { token: roles.a.admin.token, body: appBody({ appName: 'web', replicas: 2 }) });
  deployId = (await hub.call('POST', '/v1/deploy', { token: roles.a.admin.token, body: { appName: 'web', version: '1.2', clusterName: ['BeiJing'] } })).body.data.id;
  await hub.ctx.workloads.tick();
});
afterAll(async () => {
  hub.ctx.desired.stop();
  await hub.cleanup();
});

/** Every Application Management endpoint with a body that would be valid. */
const endpoints = (): [string, string, unknown?][] => [
  ['POST', '/v1/app', appBody({ appName: 'other' })],
  ['GET', '/v1/app'],
  ['GET', '/v1/app/web'],
  ['DELETE', '/v1/app/web'],
  ['POST', '/v1/deploy', { appName: 'web', version: '1.2', clusterName: ['BeiJing'] }],
  ['GET', '/v1/deploy'],
  ['GET', `/v1/deploy/${deployId}`],
  ['PUT', `/v1/deploy/${deployId}`, { status: 1 }],
  ['DELETE', `/v1/deploy/${deployId}`],
  ['GET', `/v1/deploy/${deployId}/log`],
  ['GET', '/v1/alert'],
];

describe('who may call Application Management', () => {
  it('answers 401 without a token or with a bad one', async () => {
    for (const [method, path, body] of endpoints()) {
      expect((await hub.call(method, path, { body })).status, `${method} ${path}`).toBe(401);
      expect((await hub.call(method, path, { body, token: 'Bearer not-a-jwt' })).status, `${method} ${path}`).toBe(401);
    }
  });

  it('answers 403 to roles 0 and 1 and changes nothing', async () => {
    for (const token of [roles.pending.token, roles.free.token]) {
      for (const [method, path, body] of endpoints()) {
        const r = await hub.call(method, path, { token, body });
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.body.message).toMatch(/role|business/);
      }
    }
    expect(hub.store.apps.all().map((a) => a.appName)).toEqual(['web']);
    expect(hub.store.deploys.all()).toHaveLength(1);
  });

  it('lets the system admin read everything but not create apps or deploys', async () => {
    const s = roles.sysAdmin.token;
    expect((await hub.call('POST', '/v1/app', { token: s, body: appBody({ appName: 'sys' }) })).status).toBe(403);
    expect((await hub.call('POST', '/v1/deploy', { token: s, body: { appName: 'web', version: '1.2', clusterName: ['BeiJing'] } })).status).toBe(403);
    expect((await hub.call('DELETE', '/v1/app/web', { token: s })).status).toBe(403);
    expect((await hub.call('GET', '/v1/app', { token: s })).body.total).toBe(1);
    expect((await hub.call('GET', `/v1/app/web`, { token: s })).status).toBe(200);
    expect((await hub.call('GET', `/v1/deploy/${deployId}`, { token: s })).status).toBe(200);
  });

  it('keeps the general user from auditing (403)', async () => {
    expect((await hub.call('PUT', `/v1/deploy/${deployId}`, { token: roles.a.member.token, body: { status: 2 } })).status).toBe(403);
  });
});

describe('bad input: 422 with a message on every endpoint', () => {
  it.each([
    ['POST', '/v1/app', { appName: 'x' }, /deployType|image|version|port|required/],
    ['GET', '/v1/app?orderBy=size', undefined, /orderBy must be id or appName/],
    ['GET', '/v1/app/UPPER', undefined, /appName/],
    ['DELETE', '/v1/app/has%20space', undefined, /appName/],
    ['POST', '/v1/deploy', { appName: 'web', version: '1.2' }, /clusterName/],
    ['POST', '/v1/deploy', { appName: 'web', version: 'v1', clusterName: ['BeiJing'] }, /version/],
    ['GET', '/v1/deploy?pageSize=huge', undefined, /pageSize/],
    ['GET', '/v1/deploy/1.5', undefined, /id/],
    ['PUT', '/v1/deploy/1', { status: 3 }, /status must be 1 \(approve\) or 2 \(reject\)/],
    ['PUT', '/v1/deploy/1', { status: 1, auditComment: 'x'.repeat(1001) }, /auditComment/],
    ['DELETE', '/v1/deploy/-1', undefined, /id/],
    ['GET', '/v1/deploy/1/log?tail=100000', undefined, /tail must be at most/],
    ['GET', '/v1/alert?order=newest', undefined, /order must be asc or desc/],
  ] as const)('%s %s', async (method, path, body, message) => {
    const r = await hub.call(method, path, { token: roles.a.admin.token, body });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ code: 422, message: expect.stringMatching(message) });
  });

  it('answers 422 for a body that is not a JSON object', async () => {
    for (const rawBody of ['[]', '"text"', 'null', '{']) {
      expect((await hub.call('POST', '/v1/deploy', { token: roles.a.admin.token, rawBody, headers: { 'content-type': 'application/json' } })).status).toBe(422);
    }
  });
});

describe('DELETE /v1/business/id/[id]', () => {
  it('removes the business deploys and their workloads', async () => {
    expect(f.desiredOf('BJ1').some((w) => w.appName === 'web')).toBe(true);
    const r = await hub.call('DELETE', `/v1/business/id/${roles.a.id}`, { token: roles.sysAdmin.token });
    expect(r.status).toBe(200);
    expect(hub.store.deploys.all().filter((d) => d.businessId === roles.a.id)).toEqual([]);
    expect((await hub.call('GET', '/v1/deploy?pageSize=0', { token: roles.sysAdmin.token })).body.total).toBe(0);
    expect(hub.ctx.workloads.workloadsFor(f.nodes.BJ1!.node.id)).toEqual([]);
    expect(f.desiredOf('BJ1')).toEqual([]);
  });
});
