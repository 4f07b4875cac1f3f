import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBody, makeAppHub, type AppHub } from '../helpers/apps.js';
import type { TestHub } from '../helpers/hub.js';
import type { RoleFixture } from '../helpers/roles.js';

let f: AppHub;
let hub: TestHub;
let roles: RoleFixture;
let stop: () => void;
let web: number;
/** GET /v1/alert once the alerts raised so far are saved (a save answers after the store's write). */
const alerts = async (query: string, token: string) => {
  await hub.ctx.alerts.settled();
  return hub.call('GET', `/v1/alert${query}`, { token });
};
const view = async (id: number) => (await hub.call('GET', `/v1/deploy/${id}`, { token: roles.a.admin.token })).body.data;
/** Moves the clock while GZ1 and BJ1 keep heartbeating and GZ2 stays silent. */
function silenceGz2For(ms: number): void {
  hub.clock.advance(ms);
  for (const n of ['GZ1', 'BJ1']) hub.ctx.registry.heartbeat(f.nodes[n]!.session!, 1, 10, 10);
  hub.ctx.registry.sweep();
}

beforeAll(async () => {
  f = await makeAppHub();
  ({ hub, roles } = f);
  stop = hub.ctx.alerts.start();
  await hub.call('POST', '/v1/app', { token: roles.a.admin.token, body: appBody({ appName: 'web', replicas: 2 }) });
  web = (await hub.call('POST', '/v1/deploy', { token: roles.a.admin.token, body: { appName: 'web', version: '1.2', clusterName: ['GuangZhou'] } })).body.data.id;
  await hub.ctx.workloads.tick();
});
afterAll(async () => {
  stop();
  await hub.cleanup();
});

describe('a node that goes not ready', () => {
  it('raises no alert while the fleet is healthy', async () => {
    const r = await alerts('', roles.a.member.token);
    expect(r.body).toMatchObject({ code: 200, data: [], total: 0 });
  });

  it('raises a nodeNotReady alert once its heartbeat is older than the grace', async () => {
    expect(f.nodeNames(await view(web))).toEqual(['GZ1', 'GZ2']);
    silenceGz2For(hub.ctx.config.nodeGraceMs + 1);
    const r = await alerts('', roles.a.member.token);
    expect(r.body.total).toBe(1);
    expect(r.body.data[0]).toMatchObject({ kind: 'nodeNotReady', clusterName: 'GuangZhou', nodeName: 'GZ2', message: expect.stringMatching(/GZ2 is not ready/) });
  });

  it('keeps its replicas on it within the reschedule delay', async () => {
    await hub.ctx.workloads.tick();
    expect(f.nodeNames(await view(web))).toEqual(['GZ1', 'GZ2']);
  });

  it('moves its replicas to ready nodes once it is lost', async () => {
    silenceGz2For(hub.ctx.config.rescheduleDelayMs);
    await hub.ctx.workloads.tick();
    expect(f.nodeNames(await view(web))).toEqual(['GZ1', 'GZ1']);
    expect(f.desiredOf('GZ1').filter((w) => w.appName === 'web')).toHaveLength(2);
  });

  it('filters by clusterName; every role 2-4 may read', async () => {
    expect((await alerts('?clusterName=BeiJing', roles.a.admin.token)).body).toMatchObject({ data: [], total: 0 });
    for (const token of [roles.a.member.token, roles.b.admin.token, roles.sysAdmin.token]) {
      expect((await alerts('?clusterName=GuangZhou', token)).body.total).toBe(1);
    }
  });

  it('refuses roles 0/1 (403), no token (401) and bad paging (422)', async () => {
    expect((await hub.call('GET', '/v1/alert', { token: roles.pending.token })).status).toBe(403);
    expect((await hub.call('GET', '/v1/alert', { token: roles.free.token })).status).toBe(403);
    expect((await hub.call('GET', '/v1/alert')).status).toBe(401);
    const bad = await hub.call('GET', '/v1/alert?pageSize=-1', { token: roles.a.admin.token });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toMatch(/pageSize/);
  });
});

describe('a node under high load', () => {
  const loadOf = (cpu: number, mem: number) => {
    for (const n of ['GZ1', 'BJ1']) hub.ctx.registry.heartbeat(f.nodes[n]!.session!, 2, n === 'BJ1' ? cpu : 10, n === 'BJ1' ? mem : 10);
    hub.ctx.alerts.checkLoad();
  };
  const highAlerts = async () =>
    (await alerts('?pageSize=0&clusterName=BeiJing', roles.a.admin.token)).body.data.map((a: { kind: string }) => a.kind);

  it('raises nodeCpuHigh once CPU stays above 80% for 30 s, and only once per episode', async () => {
    loadOf(95, 10);
    hub.clock.advance(29_999);
    loadOf(95, 10);
    expect(await highAlerts()).toEqual([]);
    hub.clock.advance(1);
    loadOf(95, 10);
    expect(await highAlerts()).toEqual(['nodeCpuHigh']);
    hub.clock.advance(60_000);
    loadOf(95, 10);
    expect(await highAlerts()).toEqual(['nodeCpuHigh']);
  });

  it('starts a new episode after the load drops, and watches memory alike', async () => {
    loadOf(80, 81); // 80% is not above 80%
    hub.clock.advance(30_000);
    loadOf(99, 99);
    expect(await highAlerts()).toEqual(['nodeMemoryHigh', 'nodeCpuHigh']);
    hub.clock.advance(30_000);
    loadOf(99, 99);
    expect(await highAlerts()).toEqual(['nodeCpuHigh', 'nodeMemoryHigh', 'nodeCpuHigh']);
  });

  it('forgets an episode when the node stops heartbeating: after it returns, 30 s of high load again', async () => {
    const cpuHigh = async () => (await highAlerts()).filter((k: string) => k === 'nodeCpuHigh').length;
    const before = await cpuHigh();
    loadOf(10, 10);
    loadOf(95, 10);
    hub.clock.advance(20_000);
    loadOf(95, 10);
    // BJ1 falls silent past its grace (only GZ1 heartbeats), then returns still at 95%.
    hub.clock.advance(60_000);
    hub.ctx.registry.heartbeat(f.nodes.GZ1!.session!, 3, 10, 10);
    hub.ctx.registry.sweep();
    hub.ctx.alerts.checkLoad();
    loadOf(95, 10);
    hub.clock.advance(29_000);
    loadOf(95, 10);
    expect(await cpuHigh()).toBe(before);
    hub.clock.advance(1_000);
    loadOf(95, 10);
    expect(await cpuHigh()).toBe(before + 1);
    expect(await highAlerts()).toContain('nodeNotReady');
  });
});
