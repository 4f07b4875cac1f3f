import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HubEnv } from '../../hub/src/http/env.js';
import { createLogger } from '../../shared/src/log.js';
import { eventRoutes } from '../../hub/src/routes/events.js';
import type { InstanceStateEvent } from '../../hub/src/services/events.js';
import { publishInstanceChanges } from '../../hub/src/services/sse-instances.js';
import { connectNode, enrollNode } from '../helpers/fleet.js';
import { SseReader } from '../helpers/events-stream.js';
import { ADMIN_PASSWORD, ADMIN_USER, makeTestHub, type TestHub } from '../helpers/hub.js';
import { seedRoles, type RoleFixture } from '../helpers/roles.js';

let hub: TestHub;
let roles: RoleFixture;
const open: SseReader[] = [];

async function stream(o: { token?: string; query?: string; headers?: Record<string, string>; app?: Hono<HubEnv> } = {}): Promise<SseReader> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = o.token;
  const res = await (o.app ?? hub.app).request(`/v1/events${o.query ?? ''}`, { headers });
  if (res.status !== 200) throw new Error(`GET /v1/events answered ${res.status}: ${await res.text()}`);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const r = new SseReader(res);
  open.push(r);
  return r;
}

const instanceEvent = (businessId: number, over: Partial<InstanceStateEvent> = {}): InstanceStateEvent => ({
  kind: 'instance.state',
  businessId,
  deployId: 1,
  appName: 'cam-ingest',
  instanceId: `i-${businessId}-${Math.random().toString(36).slice(2, 8)}`,
  clusterName: 'c1',
  nodeName: 'n1',
  state: 'running',
  previous: 'creating',
  restarts: 0,
  at: hub.clock.now(),
  ...over,
});

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await hub.cleanup();
});

describe('GET /v1/events: who may subscribe', () => {
  it('answers 401 in the envelope without a token, with a bad one, and with a bad ?token=', async () => {
    for (const o of [{}, { token: 'not-a-token' }, { query: '?token=not-a-token' }]) {
      const r = await hub.call('GET', `/v1/events${'query' in o ? o.query : ''}`, 'token' in o ? { token: o.token } : {});
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ code: 401, message: expect.any(String) });
    }
  });

  it('answers 403 to roles that may read neither nodes, deployments nor alerts (pending, no business)', async () => {
    for (const p of [roles.pending, roles.free]) {
      const r = await hub.call('GET', '/v1/events', { token: p.token });
      expect(r.status).toBe(403);
      expect(r.body.message).toMatch(/may not subscribe to events/);
    }
  });

  it('answers 422 to a Last-Event-ID or lastEventId that is not an event id', async () => {
    for (const o of [{ headers: { 'last-event-id': 'abc' } }, { query: '?lastEventId=-4' }, { query: '?lastEventId=99999999999999999' }]) {
      const r = await hub.call('GET', `/v1/events${o.query ?? ''}`, { token: roles.sysAdmin.token, headers: o.headers ?? {} });
      expect(r.status).toBe(422);
      expect(r.body.message).toMatch(/event id|too large/);
    }
  });

  it('never writes a ?token= to the log, even at debug level', async () => {
    const lines: string[] = [];
    const logged = await makeTestHub({ log: createLogger({ level: 'debug', name: 'hub', write: (l) => lines.push(l) }) });
    try {
      const token = await logged.login(ADMIN_USER, ADMIN_PASSWORD);
      const res = await logged.app.request(`/v1/events?token=${encodeURIComponent(token)}`);
      expect(res.status).toBe(200);
      await res.body!.cancel();
      const bad = await logged.app.request('/v1/events?token=secret-looking-garbage');
      expect(bad.status).toBe(401);
      expect(lines.some((l) => l.includes('/v1/events'))).toBe(true);
      expect(lines.join('\n')).not.toContain(token);
      expect(lines.join('\n')).not.toContain('secret-looking-garbage');
    } finally {
      await logged.cleanup();
    }
  });

  it('accepts the token as ?token= (EventSource cannot send headers) and opens with hello and the latest id', async () => {
    const s = await stream({ query: `?token=${encodeURIComponent(roles.a.member.token)}` });
    const hello = await s.next((f) => f.event === 'hello');
    expect(Number(hello.id)).toBe(hub.ctx.eventLog.latestId);
    expect(hello.data).toMatchObject({ latestId: hub.ctx.eventLog.latestId });
    expect(s.frames[0]!.retry).toBe(2000);
  });
});

describe('GET /v1/events: what each caller sees', () => {
  it('streams readiness, facts and join events to every reader of nodes, with increasing ids', async () => {
    const readers = await Promise.all([roles.sysAdmin, roles.a.admin, roles.b.member].map((p) => stream({ token: p.token })));
    await Promise.all(readers.map((r) => r.next((f) => f.event === 'hello')));
    const node = await enrollNode(hub.ctx, 'stream-c', 'stream-n1');
    const { session } = connectNode(hub.ctx, node);
    await hub.ctx.nodes.report(node.id, { ...node.facts, cpu: 64 });
    hub.ctx.registry.detach(session, 'test');
    for (const r of readers) {
      const joined = await r.next((f) => f.event === 'node.joined' && f.data.nodeName === 'stream-n1');
      const up = await r.next((f) => f.event === 'node.ready' && f.data.nodeName === 'stream-n1' && f.data.ready === true);
      const cluster = await r.next((f) => f.event === 'cluster.ready' && f.data.clusterName === 'stream-c' && f.data.ready === true);
      const facts = await r.next((f) => f.event === 'node.facts' && f.data.nodeName === 'stream-n1');
      const down = await r.next((f) => f.event === 'node.ready' && f.data.nodeName === 'stream-n1' && f.data.ready === false);
      const ids = [joined, up, cluster, facts, down].map((f) => Number(f.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(5);
      expect(down.data).toMatchObject({ kind: 'node.ready', clusterName: 'stream-c', reason: 'test' });
    }
  });

  it("sends instance states only to the deployment's business and the system admin", async () => {
    const [admin, aAdmin, aMember, bMember] = (await Promise.all([roles.sysAdmin, roles.a.admin, roles.a.member, roles.b.member].map((p) => stream({ token: p.token })))) as [SseReader, SseReader, SseReader, SseReader];
    await Promise.all([admin, aAdmin, aMember, bMember].map((r) => r.next((f) => f.event === 'hello')));
    const ofA = instanceEvent(roles.a.id);
    const ofB = instanceEvent(roles.b.id);
    hub.ctx.events.publish(ofA);
    hub.ctx.events.publish(ofB);
    hub.ctx.events.publish({ kind: 'node.joined', clusterName: 'c9', nodeName: 'marker', at: hub.clock.now() });
    for (const r of [admin, aAdmin, aMember, bMember]) await r.next((f) => f.event === 'node.joined' && f.data.nodeName === 'marker');
    const seen = (r: SseReader) => r.events().filter((f) => f.event === 'instance.state').map((f) => f.data.instanceId as string);
    expect(seen(admin)).toEqual([ofA.instanceId, ofB.instanceId]);
    expect(seen(aAdmin)).toEqual([ofA.instanceId]);
    expect(seen(aMember)).toEqual([ofA.instanceId]);
    expect(seen(bMember)).toEqual([ofB.instanceId]);
  });

  it('publishes alerts raised by the alert service to readers of alerts', async () => {
    const r = await stream({ token: roles.b.member.token });
    await r.next((f) => f.event === 'hello');
    const stop = hub.ctx.alerts.start();
    try {
      const node = await enrollNode(hub.ctx, 'alert-c', 'alert-n1');
      const { session } = connectNode(hub.ctx, node);
      hub.ctx.registry.detach(session, 'agent killed');
      const alert = await r.next((f) => f.event === 'alert' && f.data.alert.nodeName === 'alert-n1');
      expect(alert.data.alert).toMatchObject({ kind: 'nodeNotReady', clusterName: 'alert-c', id: expect.any(Number) });
      const listed = await hub.call('GET', '/v1/alert?clusterName=alert-c', { token: roles.b.member.token });
      expect(listed.body.data.map((a: { id: number }) => a.id)).toContain(alert.data.alert.id);
    } finally {
      stop();
    }
  });

  it('turns agent status reports into instance.state events for known deployments only', async () => {
    const node = await enrollNode(hub.ctx, 'inst-c', 'inst-n1');
    const { session } = connectNode(hub.ctx, node);
    const d = await hub.ctx.store.deploys.insert({
      businessId: roles.a.id,
      appName: 'cam-ingest',
      version: '1.0',
      clusterNames: ['inst-c'],
      nodeLabel: null,
      comment: '',
      status: 1,
      auditComment: '',
      userId: roles.a.admin.id,
      instances: [{ instanceId: 'inst-1', nodeId: node.id, version: '1.0', createTime: hub.clock.now() }],
      nextInstance: 2,
    });
    const got: InstanceStateEvent[] = [];
    const off = hub.ctx.events.subscribe((e) => e.kind === 'instance.state' && got.push(e));
    const status = (state: string) => ({ instanceId: 'inst-1', specHash: 'h', state: state as 'running', restarts: 0, startedAt: 0 });
    const report = (...list: ReturnType<typeof status>[]) => {
      const before = session.instances;
      session.instances = new Map(list.map((i) => [i.instanceId, i]));
      return publishInstanceChanges(hub.ctx.store, hub.ctx.events, session, before, hub.clock.now());
    };
    expect(report(status('creating'), { ...status('running'), instanceId: 'stranger' })).toBe(1);
    expect(report(status('creating'))).toBe(0);
    expect(report(status('running'))).toBe(1);
    expect(report()).toBe(1);
    off();
    expect(got.map((e) => [e.previous, e.state])).toEqual([
      [null, 'creating'],
      ['creating', 'running'],
      ['running', 'removed'],
    ]);
    expect(got[0]).toMatchObject({ businessId: roles.a.id, deployId: d.id, clusterName: 'inst-c', nodeName: 'inst-n1' });
  });
});

describe('GET /v1/events: resuming', () => {
  it('replays what came after Last-Event-ID (header or query), and only what the caller may see', async () => {
    const first = await stream({ token: roles.a.member.token });
    const hello = await first.next((f) => f.event === 'hello');
    await first.close();
    hub.ctx.events.publish({ kind: 'node.joined', clusterName: 'resume-c', nodeName: 'r1', at: hub.clock.now() });
    hub.ctx.events.publish(instanceEvent(roles.b.id));
    hub.ctx.events.publish({ kind: 'node.joined', clusterName: 'resume-c', nodeName: 'r2', at: hub.clock.now() });
    for (const how of [{ headers: { 'last-event-id': hello.id! } }, { query: `?lastEventId=${hello.id}` }]) {
      const again = await stream({ token: roles.a.member.token, ...how });
      await again.next((f) => f.event === 'node.joined' && f.data.nodeName === 'r2');
      const got = again.events();
      expect(got.map((f) => f.event)).toEqual(['node.joined', 'node.joined']);
      expect(got.map((f) => f.data.nodeName)).toEqual(['r1', 'r2']);
      expect(Number(got[0]!.id)).toBeGreaterThan(Number(hello.id));
      await again.close();
    }
  });

  it('asks the client to resynchronise when its id is older than the oldest kept or not from this hub', async () => {
    const log = hub.ctx.eventLog;
    for (let i = 0; i <= log.capacity; i++) hub.ctx.events.publish({ kind: 'node.facts', clusterName: 'flood', nodeName: `f${i}`, at: hub.clock.now() });
    for (const id of [log.latestId - log.capacity - 5, log.latestId + 1000, 1]) {
      const r = await stream({ token: roles.sysAdmin.token, headers: { 'last-event-id': String(id) } });
      const resync = await r.next((f) => f.event === 'resync');
      expect(Number(resync.id)).toBe(log.latestId);
      await r.next((f) => f.event === 'hello');
      expect(r.events().filter((f) => f.event === 'node.facts')).toEqual([]);
      await r.close();
    }
  });
});

describe('GET /v1/events: keep-alive and sessions that end', () => {
  it('sends keep-alive comments and node.load snapshots, and ends the stream when the token is revoked', async () => {
    const app = new Hono<HubEnv>().route('/', eventRoutes(hub.ctx, { keepAliveMs: 30, loadEveryMs: 20 }));
    const node = await enrollNode(hub.ctx, 'load-c', 'load-n1');
    const { session } = connectNode(hub.ctx, node);
    hub.ctx.registry.heartbeat(session, 1, 42.5, 81);
    const token = await hub.login(roles.a.member.user, roles.a.member.password);
    const r = await stream({ token, app });
    await r.next((f) => f.comments.includes('keep-alive'));
    const load = await r.next((f) => f.event === 'node.load' && f.data.nodes.some((n: { nodeName: string }) => n.nodeName === 'load-n1'));
    expect(load.id).toBeUndefined();
    expect(load.data.nodes.find((n: { nodeName: string }) => n.nodeName === 'load-n1')).toMatchObject({ clusterName: 'load-c', isReady: true, cpuLoad: 42.5, memLoad: 81, lastHeartbeatAgeMs: 0 });
    expect((await hub.call('DELETE', '/v1/authorization', { token })).status).toBe(200);
    const end = await r.next((f) => f.event === 'end');
    expect(end.data.code).toBe(401);
    await r.ended();
    hub.ctx.registry.detach(session, 'test over');
  });

  it('refuses streams over the limit with 503 in the envelope', async () => {
    const app = new Hono<HubEnv>().route('/', eventRoutes(hub.ctx, { maxStreams: 1 }));
    await stream({ token: roles.sysAdmin.token, app });
    const res = await app.request('/v1/events', { headers: { authorization: roles.sysAdmin.token } });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: 503, message: expect.stringMatching(/too many event streams/) });
  });
});
