/**
 * A real network partition (docs/security.md): the agent runs in its own network namespace,
 * joined to the host by a veth pair, and the host end of the link is set down. Unlike SIGSTOP
 * (faults.test.ts) the agent keeps running: it must find the dead link itself, keep its containers
 * while cut off, and come back when the link does. Real hub, real agent with Docker; needs root
 * (ip netns), as CI has.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDockerReady, containers, docker, removeNodeObjects, TEST_IMAGE } from '../helpers/docker.js';
import { businessWithAdmin, ok } from '../helpers/live-business.js';
import { connectedLine, HubClient, LIVE_ADMIN_PASSWORD } from '../helpers/live-hub.js';
import { assertBuilt, Child, freePort, pollUntil, ProcessGroup, ROOT, sleep } from '../helpers/processes.js';

const sh = promisify(execFile);
const run = Math.random().toString(36).slice(2, 7);
const CLUSTER = `pt${run}`;
const NODE = `pt${run}-n1`;
const NETNS = `vsm-pt${run}`;
const HOST_IF = `vp${run}h`;
const AGENT_IF = `vp${run}a`;
// A /30 of its own per run, from the 10.213.0.0/16 test range.
const OCTET = 1 + Math.floor(Math.random() * 250);
const HOST_IP = `10.213.${OCTET}.1`;
const AGENT_IP = `10.213.${OCTET}.2`;
const HB = 500;
const GRACE = 2000;

const group = new ProcessGroup();
let dir: string;
let port: number;
let hub: Child;
let agent: Child | undefined;
let admin: HubClient;
let owner: HubClient;
let ns = '';
let netnsMade = false;

const ipCmd = (...args: string[]) => sh('ip', args);

/** Container id -> the time Docker last started it. */
async function starts(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of await containers(`vsm.node=${NODE}`)) out.set(r.id, `${r.state} ${await docker('inspect', '--format', '{{.State.StartedAt}}', r.id)}`);
  return out;
}

beforeAll(async () => {
  assertBuilt();
  await assertDockerReady();
  dir = await mkdtemp(join(tmpdir(), 'vsm-partition-'));
  try {
    await ipCmd('netns', 'add', NETNS);
    netnsMade = true;
    await ipCmd('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', AGENT_IF);
    await ipCmd('link', 'set', AGENT_IF, 'netns', NETNS);
    await ipCmd('addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF);
    await ipCmd('link', 'set', HOST_IF, 'up');
    await ipCmd('netns', 'exec', NETNS, 'ip', 'addr', 'add', `${AGENT_IP}/30`, 'dev', AGENT_IF);
    await ipCmd('netns', 'exec', NETNS, 'ip', 'link', 'set', AGENT_IF, 'up');
    await ipCmd('netns', 'exec', NETNS, 'ip', 'link', 'set', 'lo', 'up');
  } catch (e) {
    throw new Error(`this test builds a network namespace and a veth pair and needs root (CI runs as root): ${(e as Error).message}`);
  }
  port = await freePort();
  hub = group.spawn('hub', 'hub/src/main.js', {
    HUB_HOST: '0.0.0.0',
    HUB_PORT: String(port),
    HUB_DATA_DIR: join(dir, 'hub'),
    HUB_ADMIN_PASSWORD: LIVE_ADMIN_PASSWORD,
    HUB_HEARTBEAT_MS: String(HB),
    HUB_NODE_GRACE_MS: String(GRACE),
    // No replica moves during the partition: the test is about the same containers surviving it.
    HUB_RESCHEDULE_DELAY_MS: '600000',
  });
  await hub.waitForLine(/^hub listening on /, 20_000);
  admin = await HubClient.login(`http://127.0.0.1:${port}`);
  const biz = await businessWithAdmin(admin, `pt${run}`, 'Passw0rdP');
  owner = biz.owner;
  ns = `ns${biz.id}`;

  // The agent inside the namespace reaches the hub only over the veth link.
  const base = { ...process.env };
  delete base.NODE_OPTIONS;
  const proc = spawn('ip', ['netns', 'exec', NETNS, process.execPath, join(ROOT, 'dist/agent/src/main.js')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...base,
      AGENT_RUNTIME: 'docker',
      AGENT_HUB_URL: `http://${HOST_IP}:${port}`,
      AGENT_TOKEN: await admin.joinToken(CLUSTER),
      AGENT_NODE_NAME: NODE,
      AGENT_DATA_DIR: join(dir, 'agent'),
      AGENT_RECONCILE_MS: '500',
    },
  });
  agent = new Child(`agent ${NODE}`, proc);
  await agent.waitForLine(connectedLine(NODE, CLUSTER), 20_000);
}, 90_000);

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await group.killAll();
  await removeNodeObjects([NODE]);
  if (ns) await docker('network', 'rm', ns).catch(() => '');
  if (netnsMade) await ipCmd('netns', 'del', NETNS).catch(() => undefined); // takes the veth pair with it
  await ipCmd('link', 'del', HOST_IF).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('a hub-agent network partition', () => {
  it('the node is not ready after the grace, its containers run on, and it is ready again once the link is back; nothing restarted or doubled', { timeout: 150_000 }, async () => {
    await ok(owner, 'POST', '/v1/app', { appName: 'cam', deployType: 'daemonset', image: TEST_IMAGE, version: '1.0', port: [], command: ['sh', '-c', 'exec sleep 3600'], replicas: 1 });
    await ok(owner, 'POST', '/v1/deploy', { appName: 'cam', version: '1.0', clusterName: [CLUSTER] });
    await pollUntil(async () => (await containers(`vsm.node=${NODE}`)).filter((c) => c.state === 'running'), (r) => r.length === 1, 60_000, 250);
    await sleep(1500);
    const before = await starts();
    const from = agent!.lines.length;

    await ipCmd('link', 'set', HOST_IF, 'down');
    try {
      await pollUntil(() => admin.isReady(CLUSTER, NODE), (r) => r === false, GRACE + 10_000, 100);
      // Cut off well past the grace: the agent finds the dead link and keeps the node's containers.
      await sleep(3 * GRACE);
      expect(await admin.isReady(CLUSTER, NODE)).toBe(false);
      expect(agent!.running).toBe(true);
      expect(agent!.logs(/hub stopped answering pings/).length).toBeGreaterThanOrEqual(1);
      expect(await starts()).toEqual(before);
    } finally {
      await ipCmd('link', 'set', HOST_IF, 'up');
    }
    // Reconnection backs off up to 30 s (with jitter), so give it time.
    await agent!.waitForLine(connectedLine(NODE, CLUSTER), 60_000, from);
    await pollUntil(() => admin.isReady(CLUSTER, NODE), (r) => r === true, 20_000, 100);
    await sleep(3000); // several reconcile rounds after the reconnect
    expect(await starts()).toEqual(before);
    expect((await admin.nodes(CLUSTER)).map((n) => n.isReady)).toEqual([true]);
  });
});
