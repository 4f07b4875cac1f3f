import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJoinToken } from '../../hub/src/agents/credentials.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../shared/src/protocol.js';
import { helloFor } from '../helpers/fleet.js';
import { connectedLine, HubClient, hubJoinKey, startAgent, startHub, type LiveHub } from '../helpers/live-hub.js';
import { assertBuilt, freePort, pollUntil, ProcessGroup, sleep, type Child } from '../helpers/processes.js';
import { RawAgent, upgradeStatus } from '../helpers/raw-agent.js';

const HEARTBEAT_MS = 500;
const GRACE_MS = 2000;
const CLUSTER = 'itest';
/** Detection "within the grace" is a correctness bound; the margin absorbs a loaded machine. */
const DETECT_TIMEOUT = GRACE_MS + 3000;
const JOIN_TIMEOUT = 15_000;

const group = new ProcessGroup();
const raws: RawAgent[] = [];
let root: string;
let port: number;
let hub: LiveHub;
let api: HubClient;
let joinToken: string;
/** An agent that stays connected throughout; other tests check that they leave it alone. */
let steady: Child;

const agentDir = (name: string) => join(root, 'agents', name);
const identityOf = async (dir: string) => JSON.parse(await readFile(join(agentDir(dir), 'identity.json'), 'utf8')) as Record<string, string>;

/** Starts an agent of CLUSTER and waits until it has joined. */
async function joinAgent(nodeName: string, dir = nodeName): Promise<Child> {
  const child = startAgent(group, { hubUrl: hub.url, token: joinToken, nodeName, dataDir: agentDir(dir) });
  await child.waitForLine(connectedLine(nodeName, CLUSTER), JOIN_TIMEOUT);
  return child;
}

async function raw(token: string): Promise<RawAgent> {
  const a = await RawAgent.connect(hub.url, token);
  raws.push(a);
  return a;
}

const readyOf = (nodeName: string) => api.isReady(CLUSTER, nodeName);

/** A counter of the hub's GET /metrics. */
async function counter(name: string): Promise<number> {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} is not in /metrics`);
  return Number(m[1]);
}

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'vsm-agents-'));
  port = await freePort();
  hub = await startHub(group, { dataDir: join(root, 'hub'), port, heartbeatMs: HEARTBEAT_MS, graceMs: GRACE_MS });
  api = await HubClient.login(hub.url);
  joinToken = await api.joinToken(CLUSTER);
  steady = await joinAgent('steady-node');
});

afterAll(async () => {
  for (const r of raws) r.terminate();
  await group.killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('agents joining a real hub', () => {
  it("reports the machine's facts, stays ready on heartbeats past the grace, and keeps its identity with mode 0600", async () => {
    await joinAgent('facts-node');
    const [node] = await api.nodes(CLUSTER, 'facts-node');
    expect(node).toMatchObject({
      nodeName: 'facts-node',
      clusterName: CLUSTER,
      isReady: true,
      operatingSystem: 'Linux',
      kernelVersion: release(),
      cpu: cpus().length,
      memory: totalmem(),
      gpu: expect.any(Number),
      disk: expect.any(Number),
    });
    await sleep(GRACE_MS + HEARTBEAT_MS);
    const [later] = await api.nodes(CLUSTER, 'facts-node');
    expect(later?.isReady).toBe(true);
    expect(later?.lastHeartbeatAgeMs).toBeLessThan(GRACE_MS);

    const file = await stat(join(agentDir('facts-node'), 'identity.json'));
    expect(file.mode & 0o777).toBe(0o600);
    const id = await identityOf('facts-node');
    expect(id).toMatchObject({ nodeName: 'facts-node', clusterName: CLUSTER, credential: expect.stringMatching(/^vsmn\./) });
    const cluster = (await api.call('GET', '/v1/cluster')).body.data.find((c: { clusterName: string }) => c.clusterName === CLUSTER);
    expect(cluster).toMatchObject({ isReady: true });
  });

  it('after kill -9 the node is not ready within the grace; restarted with its data dir it is ready again, once', async () => {
    const first = await joinAgent('crash-node');
    const idBefore = await identityOf('crash-node');
    first.proc.kill('SIGKILL');
    await pollUntil(() => readyOf('crash-node'), (r) => r === false, DETECT_TIMEOUT);
    expect(await readyOf('steady-node')).toBe(true);

    const second = await joinAgent('crash-node');
    const rows = await api.nodes(CLUSTER, 'crash-node');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.isReady).toBe(true);
    expect(await identityOf('crash-node')).toEqual(idBefore);
    expect(second.logs(/enrolled/)).toEqual([]);
  });

  it('an agent restarted with the hub URL written differently keeps its node identity', async () => {
    const first = await joinAgent('url-node');
    const idBefore = await identityOf('url-node');
    expect(await first.stop('SIGTERM')).toMatchObject({ code: 0 });
    const again = startAgent(group, { hubUrl: `${hub.url}/`, token: joinToken, nodeName: 'url-node', dataDir: agentDir('url-node') });
    await again.waitForLine(connectedLine('url-node', CLUSTER), JOIN_TIMEOUT);
    expect(again.logs(/enrolled/)).toEqual([]);
    expect((await identityOf('url-node')).nodeId).toBe(idBefore.nodeId);
    expect((await api.nodes(CLUSTER, 'url-node')).map((n) => n.isReady)).toEqual([true]);
  });

  it('an agent holding an identity this hub does not know enrolls again with its join token', async () => {
    const dir = agentDir('stranger-node');
    await mkdir(dir, { recursive: true });
    const foreign = { nodeId: randomUUID(), nodeName: 'stranger-node', clusterName: CLUSTER, credential: `vsmn.${randomUUID()}.c2VjcmV0`, hubUrl: 'http://old-hub:8080' };
    await writeFile(join(dir, 'identity.json'), JSON.stringify(foreign), { mode: 0o600 });
    const agent = startAgent(group, { hubUrl: hub.url, token: joinToken, nodeName: 'stranger-node', dataDir: dir });
    await agent.waitForLine(connectedLine('stranger-node', CLUSTER), JOIN_TIMEOUT);
    expect(agent.logs(/enrolled/)).toHaveLength(1);
    expect((await identityOf('stranger-node')).nodeId).not.toBe(foreign.nodeId);
    expect(await readyOf('stranger-node')).toBe(true);
  });

  it('on SIGTERM the agent exits 0 and its node is not ready at once', async () => {
    const agent = await joinAgent('graceful-node');
    expect(await readyOf('graceful-node')).toBe(true);
    expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await readyOf('graceful-node')).toBe(false);
    expect(await readyOf('steady-node')).toBe(true);
  });
});

describe('admission', () => {
  it('refuses the upgrade with 401 without a valid join token or node credential', async () => {
    const expired = await signJoinToken(await hubJoinKey(hub.dataDir), CLUSTER, 60, Date.now() - 3_600_000);
    const otherKey = await signJoinToken(randomBytes(32), CLUSTER, 3600, Date.now());
    const refusedBefore = await counter('vsm_agent_upgrades_refused_total');
    for (const token of [undefined, 'not-a-token', expired, otherKey, `vsmn.${randomUUID()}.c2VjcmV0`]) {
      expect(await upgradeStatus(hub.url, token), String(token).slice(0, 20)).toBe(401);
    }
    expect(await counter('vsm_agent_upgrades_refused_total')).toBe(refusedBefore + 5);
    expect(await upgradeStatus(hub.url, joinToken, '/v1/agent/elsewhere')).toBe(404);
    // The same client gets through with a good token, so the refusals above are the tokens'.
    const ok = await raw(joinToken);
    expect(ok.ws.readyState).toBe(ok.ws.OPEN);
    ok.terminate();
  });

  it('an agent with an expired join token never connects and keeps retrying', async () => {
    const expired = await signJoinToken(await hubJoinKey(hub.dataDir), CLUSTER, 60, Date.now() - 3_600_000);
    const agent = startAgent(group, { hubUrl: hub.url, token: expired, nodeName: 'expired-node', dataDir: agentDir('expired-node') });
    await pollUntil(async () => agent.logs(/refused/).length, (n) => n >= 2, 15_000);
    expect(agent.matching(/^agent connected/)).toEqual([]);
    expect(agent.running).toBe(true);
    expect(await api.nodes(CLUSTER, 'expired-node')).toEqual([]);
    await agent.stop('SIGTERM');
  });

  it('a second identity claiming a taken node name is refused with 4009; the original keeps its identity', async () => {
    const idBefore = await identityOf('steady-node');
    const joinsBefore = steady.matching(/^agent connected/).length;
    const intruder = startAgent(group, { hubUrl: hub.url, token: joinToken, nodeName: 'steady-node', dataDir: agentDir('intruder') });
    await pollUntil(async () => intruder.logs(/closed the connection/).filter((r) => r.code === 4009).length, (n) => n >= 1, JOIN_TIMEOUT);
    await intruder.stop('SIGTERM');
    expect(intruder.matching(/^agent connected/)).toEqual([]);
    await expect(stat(join(agentDir('intruder'), 'identity.json'))).rejects.toThrow(/ENOENT/);

    const a = await raw(joinToken);
    a.send(helloFor('steady-node'));
    expect(await a.closedWithin()).toEqual({ code: 4009, reason: expect.stringMatching(/taken/) });

    const rows = await api.nodes(CLUSTER, 'steady-node');
    expect(rows.map((r) => r.isReady)).toEqual([true]);
    expect(await identityOf('steady-node')).toEqual(idBefore);
    expect(steady.matching(/^agent connected/)).toHaveLength(joinsBefore);
  });

  it('a hello naming another node than the credential is closed with 4001', async () => {
    const { credential } = await identityOf('steady-node');
    const joinsBefore = steady.matching(/^agent connected/).length;
    const a = await raw(credential!);
    a.send(helloFor('someone-else'));
    expect(await a.closedWithin()).toEqual({ code: 4001, reason: expect.stringMatching(/belongs to node steady-node/) });
    expect(await api.nodes(CLUSTER, 'someone-else')).toEqual([]);
    expect(await readyOf('steady-node')).toBe(true);
    expect(steady.matching(/^agent connected/)).toHaveLength(joinsBefore);
  });

  it('an incompatible protocol version is closed with 4002 and a clear reason', async () => {
    const a = await raw(joinToken);
    a.send({ ...helloFor('future-node'), protocolVersion: PROTOCOL_VERSION + 98 });
    const closed = await a.closedWithin();
    expect(closed.code).toBe(4002);
    expect(closed.reason).toMatch(new RegExp(`protocol version ${PROTOCOL_VERSION + 98} is not supported; this hub speaks ${PROTOCOL_VERSION}`));
    expect(await api.nodes(CLUSTER, 'future-node')).toEqual([]);
  });
});

describe('liveness pings', () => {
  it('the hub pings only an agent it has not heard from for a whole period; a silent one that answers them stays connected', async () => {
    const a = await raw(joinToken);
    let pings = 0;
    a.ws.on('ping', () => pings++);
    a.send(helloFor('ping-node'));
    await a.waitFor('welcome');
    let seq = 0;
    const heartbeat = () => a.send({ type: 'heartbeat', seq: seq++, cpuLoad: 1, memLoad: 1 });
    heartbeat();
    const sentBefore = await counter('vsm_agent_pings_sent_total');
    // Counted from the first heartbeat on: a slow enrollment may have earned a ping before it.
    const base = pings;
    const beat = setInterval(heartbeat, HEARTBEAT_MS / 5);
    try {
      await sleep(3000);
    } finally {
      clearInterval(beat);
    }
    const whileTalking = pings - base;
    await sleep(4000);
    const whileSilent = pings - base - whileTalking;
    // The ping period is min(heartbeat, grace / 3) = 500 ms: 6 pings in 3 s if it pinged regardless.
    // At most one while talking: a stalled test timer may leave one period without a heartbeat.
    // Silent, it is pinged once it has been quiet for 1.1 periods: about every 0.6 to 0.8 s.
    expect(whileTalking).toBeLessThanOrEqual(1);
    expect(whileSilent).toBeGreaterThanOrEqual(3);
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    expect(await counter('vsm_agent_pings_sent_total')).toBeGreaterThanOrEqual(sentBefore + whileSilent);
    a.terminate();
  });

  it('cuts off an agent that stops answering pings and sends nothing, and its node is not ready', async () => {
    const a = await RawAgent.connect(hub.url, joinToken, undefined, { autoPong: false });
    raws.push(a);
    let pings = 0;
    a.ws.on('ping', () => pings++);
    a.send(helloFor('frozen-node'));
    await a.waitFor('welcome');
    a.send({ type: 'heartbeat', seq: 0, cpuLoad: 1, memLoad: 1 });
    const silentFrom = Date.now();
    // The hub closes a socket only for a reason: going stale past the grace is not one (the node is
    // just not ready), an unanswered ping is. Pinged after 1.1 periods of silence, cut at the next
    // look half a period later: about 0.8 to 1.05 s with a 500 ms period (printed, not asserted).
    expect((await a.closedWithin(10_000)).code).toBe(1006);
    console.log(`ping cut-off: ${Date.now() - silentFrom} ms after the last message`);
    // Usually exactly one; a slow enrollment on a loaded machine may earn one more before the heartbeat.
    expect(pings).toBeGreaterThanOrEqual(1);
    await pollUntil(() => readyOf('frozen-node'), (r) => r === false, DETECT_TIMEOUT);
  });
});

describe('bad frames close only their own connection', () => {
  const frames: [string, Buffer | string, number][] = [
    ['invalid msgpack', Buffer.from([0x92, 0x01]), 4003],
    ['a text frame', '{"type":"heartbeat"}', 4003],
    ['a frame over 1 MiB', Buffer.alloc(MAX_FRAME_BYTES + 1, 0xc0), 1009],
  ];

  it.each(frames)('%s before the hello', async (_, frame, code) => {
    const a = await raw(joinToken);
    a.sendRaw(frame);
    expect((await a.closedWithin()).code).toBe(code);
    expect((await api.call('GET', '/v1/node')).status).toBe(200);
    expect(await readyOf('steady-node')).toBe(true);
  });

  it.each(frames.map(([what, frame, code], i) => [what, frame, code, `wire-${i}`] as const))('%s after the hello', async (_, frame, code, nodeName) => {
    const a = await raw(joinToken);
    a.send(helloFor(nodeName));
    expect(await a.waitFor('welcome')).toMatchObject({ nodeName, clusterName: CLUSTER, heartbeatMs: HEARTBEAT_MS, graceMs: GRACE_MS });
    expect(await readyOf(nodeName)).toBe(true);
    a.sendRaw(frame);
    expect((await a.closedWithin()).code).toBe(code);
    await pollUntil(() => readyOf(nodeName), (r) => r === false, DETECT_TIMEOUT);
    expect(await readyOf('steady-node')).toBe(true);
  });
});

describe('hub restart', () => {
  it('the agent comes back by itself on the same port and its node is ready, once', async () => {
    const from = steady.lines.length;
    expect(await hub.child.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    hub = await startHub(group, { dataDir: hub.dataDir, port, heartbeatMs: HEARTBEAT_MS, graceMs: GRACE_MS });
    expect(hub.port).toBe(port);
    await steady.waitForLine(connectedLine('steady-node', CLUSTER), 20_000, from);
    await pollUntil(() => readyOf('steady-node'), (r) => r === true, DETECT_TIMEOUT);
    expect(await api.nodes(CLUSTER, 'steady-node')).toHaveLength(1);
    // Nodes whose agents are gone are remembered, not ready.
    expect(await readyOf('graceful-node')).toBe(false);
  });
});
