/**
 * Hostile peers on the agent socket of a real hub (docs/security.md): floods hit the per-node rate
 * limit (4029, kept across reconnects), malformed frames of every kind close only their own
 * connection, claims about another node or cluster are refused or have no effect, and each refusal
 * leaves a warning in the hub's log. Bad and expired tokens, taken names and protocol versions are
 * in agents.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../shared/src/codec.js';
import { MAX_FRAME_BYTES } from '../../shared/src/protocol.js';
import { helloFor } from '../helpers/fleet.js';
import { businessWithAdmin, ok } from '../helpers/live-business.js';
import { connectedLine, HubClient, startAgent, startHub, type LiveHub } from '../helpers/live-hub.js';
import { assertBuilt, pollUntil, ProcessGroup, sleep } from '../helpers/processes.js';
import { RawAgent, upgradeStatus } from '../helpers/raw-agent.js';

const CLUSTER = 'hostile';
const HEARTBEAT_MS = 500;
const GRACE_MS = 2000;

const group = new ProcessGroup();
const raws: RawAgent[] = [];
let root: string;
let hub: LiveHub;
let api: HubClient;
let joinToken: string;

async function raw(token: string): Promise<RawAgent> {
  const a = await RawAgent.connect(hub.url, token);
  raws.push(a);
  return a;
}

/** A raw agent that has joined as `nodeName`; returns it with its node credential. */
async function joined(nodeName: string, token = joinToken): Promise<{ a: RawAgent; credential: string }> {
  const a = await raw(token);
  a.send(helloFor(nodeName));
  const welcome = await a.waitFor('welcome');
  return { a, credential: welcome.credential ?? token };
}

/** The hub's warnings about closed agent connections, from line `from` on. */
const closings = (from: number) =>
  hub.child.lines
    .slice(from)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.level === 'warn' && /agent (connection closed by hub|socket error)/.test(String(r.msg)));

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'vsm-hostile-'));
  hub = await startHub(group, { dataDir: join(root, 'hub'), heartbeatMs: HEARTBEAT_MS, graceMs: GRACE_MS });
  api = await HubClient.login(hub.url);
  joinToken = await api.joinToken(CLUSTER);
  const steady = startAgent(group, { hubUrl: hub.url, token: joinToken, nodeName: 'steady', dataDir: join(root, 'steady') });
  await steady.waitForLine(connectedLine('steady', CLUSTER), 15_000);
});

afterAll(async () => {
  for (const r of raws) r.terminate();
  await group.killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('floods', () => {
  it('a node that floods is closed with 4029 and logged; reconnecting does not refill its budget', async () => {
    const enrolled = await joined('flooder');
    enrolled.a.send({ type: 'goodbye', reason: 'reconnecting' });
    await enrolled.a.closedWithin();
    // Budgets are per enrolled node: from here on the node connects with its credential.
    const credential = enrolled.credential;
    const from = hub.child.lines.length;
    const a = await raw(credential);
    a.send(helloFor('flooder'));
    await a.waitFor('welcome');
    for (let seq = 1; seq <= 1000; seq++) a.send({ type: 'heartbeat', seq, cpuLoad: 1, memLoad: 1 });
    expect(await a.closedWithin()).toEqual({ code: 4029, reason: 'too many messages' });
    expect(closings(from)).toContainEqual(expect.objectContaining({ code: 4029, node: 'flooder' }));

    // A fresh budget would take these 100 messages (burst 200); the node's own, just spent, does not.
    const again = await raw(credential);
    again.send(helloFor('flooder'));
    for (let seq = 1; seq <= 100; seq++) again.send({ type: 'heartbeat', seq, cpuLoad: 1, memLoad: 1 });
    expect((await again.closedWithin()).code).toBe(4029);
    expect(await api.isReady(CLUSTER, 'steady')).toBe(true);

    // The budget refills at the steady rate: a well-behaved reconnect later is welcome.
    await sleep(3000);
    const later = await raw(credential);
    later.send(helloFor('flooder'));
    expect(await later.waitFor('welcome')).toMatchObject({ nodeName: 'flooder', clusterName: CLUSTER });
    later.send({ type: 'goodbye', reason: 'done' });
  });
  it('a flood over the join-token connection that enrolled the node spends the node\'s own budget', async () => {
    const { a, credential } = await joined('join-flooder');
    for (let seq = 1; seq <= 1000; seq++) a.send({ type: 'heartbeat', seq, cpuLoad: 1, memLoad: 1 });
    expect((await a.closedWithin()).code).toBe(4029);
    // Had the join connection a budget of its own, the node's would be whole and take these 100.
    const again = await raw(credential);
    again.send(helloFor('join-flooder'));
    for (let seq = 1; seq <= 100; seq++) again.send({ type: 'heartbeat', seq, cpuLoad: 1, memLoad: 1 });
    expect((await again.closedWithin()).code).toBe(4029);
  });

  it('refused upgrades are all answered 401 but logged only a few at a time per address', { timeout: 40_000 }, async () => {
    const refusals = (from: number) => hub.child.lines.slice(from).filter((l) => l.includes('agent refused at upgrade'));
    const from = hub.child.lines.length;
    const statuses = await Promise.all(Array.from({ length: 40 }, () => upgradeStatus(hub.url, 'not-a-token')));
    expect(statuses).toEqual(Array(40).fill(401));
    await sleep(200);
    expect(refusals(from).length).toBeGreaterThanOrEqual(1);
    expect(refusals(from).length).toBeLessThanOrEqual(5);
    // The next line logged from this address says how many went unlogged.
    await sleep(10_500);
    const next = hub.child.lines.length;
    expect(await upgradeStatus(hub.url, 'not-a-token')).toBe(401);
    await pollUntil(async () => refusals(next), (l) => l.length === 1, 5000);
    expect(JSON.parse(refusals(next)[0]!).unloggedBefore).toBeGreaterThanOrEqual(35);
    // A good token from the same address still gets in.
    const ok = await raw(joinToken);
    expect(ok.ws.readyState).toBe(ok.ws.OPEN);
    ok.terminate();
  });
});

describe('malformed frames are refused, each with a warning in the log', () => {
  const deep = Buffer.concat([Buffer.alloc(200_000, 0x91), Buffer.from([0xc0])]);
  const frames: [string, Buffer | string, number][] = [
    ['truncated msgpack', Buffer.from([0x92, 0x01]), 4003],
    ['an array header claiming 4 billion items', Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), 4003],
    ['a string header claiming 4 GiB', Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]), 4003],
    ['200,000 nested arrays', deep, 4003],
    ['an unknown msgpack extension', Buffer.from([0xd4, 0x01, 0x00]), 4003],
    ['trailing bytes', Buffer.from([0xc0, 0xc0]), 4003],
    ['an empty frame', Buffer.alloc(0), 4003],
    ['a text frame', '{"type":"hello"}', 4003],
    ['valid msgpack of the wrong shape', encode({ type: 'status', generation: -1, namespaces: 'ns1' }), 4003],
    ['an unknown message type', encode({ type: 'desired', generation: 1, namespaces: [] }), 4003],
    ['a __proto__ key', encode(JSON.parse('{"type":"heartbeat","__proto__":{"seq":1,"cpuLoad":1,"memLoad":1}}')), 4003],
    ['a frame of 1 MiB + 1 byte', Buffer.alloc(MAX_FRAME_BYTES + 1, 0xc0), 1009],
  ];

  it.each(frames)('%s', async (_what, frame, code) => {
    const from = hub.child.lines.length;
    const { a } = await joined(`frame-${Math.random().toString(36).slice(2, 8)}`);
    a.sendRaw(frame);
    expect((await a.closedWithin()).code).toBe(code);
    await pollUntil(async () => closings(from), (l) => l.length >= 1, 5000);
    expect(await api.isReady(CLUSTER, 'steady')).toBe(true);
  });

  it('a connection that never says hello is closed (4010) and logged', { timeout: 30_000 }, async () => {
    const from = hub.child.lines.length;
    const a = await raw(joinToken);
    expect(await a.closedWithin(15_000)).toEqual({ code: 4010, reason: 'no hello in time' });
    expect(closings(from)).toContainEqual(expect.objectContaining({ code: 4010 }));
  });
});

describe('another node or cluster', () => {
  it("a node's credential cannot speak for another node: 4001, logged, nothing enrolled", async () => {
    const { a, credential } = await joined('honest');
    a.send({ type: 'goodbye', reason: 'reconnecting' });
    await a.closedWithin();
    const from = hub.child.lines.length;
    const b = await raw(credential);
    b.send(helloFor('steady'));
    expect(await b.closedWithin()).toEqual({ code: 4001, reason: 'this credential belongs to node honest of cluster hostile' });
    expect(closings(from)).toContainEqual(expect.objectContaining({ code: 4001 }));
    expect((await api.nodes(CLUSTER, 'steady')).map((n) => n.isReady)).toEqual([true]);
  });

  it("a hello claiming another cluster joins the token's cluster only", async () => {
    const a = await raw(joinToken);
    a.send({ ...helloFor('claimer'), clusterName: 'elsewhere', cluster: 'elsewhere' });
    expect(await a.waitFor('welcome')).toMatchObject({ nodeName: 'claimer', clusterName: CLUSTER });
    const clusters = (await api.call('GET', '/v1/cluster')).body.data as { clusterName: string }[];
    expect(clusters.map((c) => c.clusterName)).not.toContain('elsewhere');
    expect(await api.nodes('elsewhere')).toEqual([]);
  });

  it("a node reporting another node's instance changes nothing of it", async () => {
    const { a: target } = await joined('target');
    const { a: liar } = await joined('liar');
    await ok(api, 'POST', '/v1/node/label', { nodeLabel: 'only-target', clusterName: CLUSTER, nodeName: ['target'] });
    const { owner } = await businessWithAdmin(api, 'hostileown', 'Passw0rdH');
    await ok(owner, 'POST', '/v1/app', { appName: 'cam', deployType: 'deployment', image: 'busybox:1', version: '1.0', port: [], replicas: 1 });
    const id = (await ok(owner, 'POST', '/v1/deploy', { appName: 'cam', version: '1.0', clusterName: [CLUSTER], nodeLabel: 'only-target' })).data.id as number;
    const desired = await pollUntil(
      async () => target.received.filter((m) => m.type === 'desired').flatMap((m) => (m.type === 'desired' ? m.workloads : [])),
      (w) => w.length === 1,
      10_000,
    );
    const w = desired[0]!;
    const claim = { instanceId: w.instanceId, specHash: w.specHash, state: 'error', restarts: 7, startedAt: Date.now(), error: 'forged' } as const;
    liar.send({ type: 'status', generation: 1, namespaces: [], instances: [claim] });
    await sleep(500);
    const view = (await ok(owner, 'GET', `/v1/deploy/${id}`)).data as { instances: { nodeName: string; state: string; restarts: number; lastError?: string }[] };
    expect(view.instances).toHaveLength(1);
    expect(view.instances[0]).toMatchObject({ nodeName: 'target' });
    expect(view.instances[0]!.state).not.toBe('error');
    expect(JSON.stringify(view)).not.toContain('forged');

    // The node that runs it is believed.
    const { error: _forged, ...truth } = claim;
    target.send({ type: 'status', generation: 1, namespaces: [], instances: [{ ...truth, state: 'running', restarts: 0 }] });
    await pollUntil(async () => (await ok(owner, 'GET', `/v1/deploy/${id}`)).data.instances[0].state as string, (s) => s === 'running', 5000, 100);
  });
});
