/**
 * Faults with real processes and real Docker (docs/security.md): an agent killed with SIGKILL in the
 * middle of an image pull and in the middle of starting containers, a hub-agent partition (the agent
 * SIGSTOPped past the grace), and the hub killed in the middle of a rolling upgrade. After each, the
 * fleet converges: the desired containers run, none twice, and healthy ones are left alone.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDockerReady, containers, docker, removeNodeObjects, TEST_IMAGE } from '../helpers/docker.js';
import { GatedRegistry } from '../helpers/gated-registry.js';
import { businessWithAdmin, ok } from '../helpers/live-business.js';
import { connectedLine, DOCKER_AGENT, HubClient, startAgent as spawnAgent, startHub as startLiveHub } from '../helpers/live-hub.js';
import { assertBuilt, freePort, pollUntil, ProcessGroup, sleep, type Child } from '../helpers/processes.js';

const run = Math.random().toString(36).slice(2, 7);
const CLUSTER = `ft${run}`;
const N1 = `ft${run}-n1`;
const N2 = `ft${run}-n2`;
const HB = 500;
const GRACE = 2000;
/** Long enough that no replica moves during a partition: the test is about the same containers surviving. */
const RESCHEDULE = 600_000;
/** Generous bounds for a loaded 2-core machine; none of them is a timing assertion. */
const CONVERGE = 60_000;

const group = new ProcessGroup();
const agents = new Map<string, Child>();
let dir: string;
let port: number;
let hub: Child;
let admin: HubClient;
let owner: HubClient;
let ns = '';
let joinToken: string;
let registry: GatedRegistry;

function startHub(): Promise<Child> {
  const env = { HUB_RESCHEDULE_DELAY_MS: String(RESCHEDULE) };
  return startLiveHub(group, { dataDir: join(dir, 'hub'), port, heartbeatMs: HB, graceMs: GRACE, env, startTimeoutMs: 20_000 }).then((h) => h.child);
}

/** Starts (or restarts, same data dir) the agent of `node` and waits for its join. */
async function startAgent(node: string): Promise<Child> {
  const child = spawnAgent(group, { hubUrl: `http://127.0.0.1:${port}`, token: joinToken, nodeName: node, dataDir: join(dir, node), env: DOCKER_AGENT });
  agents.set(node, child);
  await child.waitForLine(connectedLine(node, CLUSTER), 20_000);
  return child;
}

const app = (appName: string, version: string, image: string, extra: Record<string, unknown> = {}) => ({
  appName,
  deployType: 'deployment',
  image,
  version,
  port: [],
  command: ['sh', '-c', 'exec sleep 3600'],
  replicas: 1,
  maxSurge: 1,
  maxUnavailable: 0,
  minReadySeconds: 1,
  ...extra,
});

async function deploy(appName: string, version: string, nodeLabel?: string): Promise<number> {
  const body = await ok(owner, 'POST', '/v1/deploy', { appName, version, clusterName: [CLUSTER], ...(nodeLabel ? { nodeLabel } : {}) });
  return body.data.id as number;
}

/** Every container of the app in this run's cluster, in any state. */
const all = (appName: string, ...labels: string[]) => containers(`vsm.cluster=${CLUSTER}`, `vsm.app=${appName}`, ...labels);
const runningOf = async (appName: string, ...labels: string[]) => (await all(appName, ...labels)).filter((c) => c.state === 'running');

/** Container id -> the time Docker last started it: a restart or a replacement changes it. */
async function starts(): Promise<Map<string, string>> {
  const rows = await containers(`vsm.cluster=${CLUSTER}`);
  const out = new Map<string, string>();
  for (const r of rows) out.set(r.id, await docker('inspect', '--format', '{{.State.StartedAt}}', r.id));
  return out;
}

/** Resolves with the first container Docker creates for `node` (docker events), so a test can strike then. */
function firstCreate(node: string): { created: Promise<string>; stop: () => void } {
  const p = spawn('docker', ['events', '--filter', 'type=container', '--filter', 'event=create', '--filter', `label=vsm.node=${node}`, '--format', '{{.ID}}'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const created = new Promise<string>((res) => createInterface({ input: p.stdout }).once('line', res));
  return { created, stop: () => p.kill('SIGTERM') };
}

beforeAll(async () => {
  assertBuilt();
  await assertDockerReady();
  dir = await mkdtemp(join(tmpdir(), 'vsm-faults-'));
  port = await freePort();
  registry = await new GatedRegistry(`faults${run}/cam`, '1').start();
  hub = await startHub();
  admin = await HubClient.login(`http://127.0.0.1:${port}`);
  joinToken = await admin.joinToken(CLUSTER);
  await startAgent(N1);
  await startAgent(N2);
  await ok(admin, 'POST', '/v1/node/label', { nodeLabel: 'solo', clusterName: CLUSTER, nodeName: [N1] });

  const biz = await businessWithAdmin(admin, `ft${run}`, 'Passw0rdF');
  ns = `ns${biz.id}`;
  owner = biz.owner;
}, 90_000);

afterAll(async () => {
  await group.killAll();
  await removeNodeObjects([N1, N2]);
  if (ns) await docker('network', 'rm', ns).catch(() => '');
  if (registry) {
    await docker('image', 'rm', '-f', registry.image).catch(() => '');
    await registry.stop();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('faults survived', { timeout: 180_000 }, () => {
  it('an agent killed in the middle of an image pull pulls again after its restart and runs the replica once', async () => {
    await ok(owner, 'POST', '/v1/app', app('pulled', '1.0', registry.image));
    const id = await deploy('pulled', '1.0', 'solo');
    // The layer download is held half way: the pull is in progress when the agent dies.
    await pollUntil(async () => registry.layerRequests, (n) => n >= 1, CONVERGE, 100);
    await sleep(300);
    expect(await agents.get(N1)!.stop('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    expect(await all('pulled')).toEqual([]);
    registry.release();

    await startAgent(N1);
    await pollUntil(() => runningOf('pulled'), (r) => r.length === 1, CONVERGE, 250);
    const view = await pollUntil(
      () => owner.call('GET', `/v1/deploy/${id}`),
      (r) => r.body.data.instances.length === 1 && r.body.data.instances[0].state === 'running',
      CONVERGE,
      250,
    );
    expect(view.body.data.instances[0].nodeName).toBe(N1);
    await sleep(2000); // several reconcile rounds: nothing more appears
    const rows = await all('pulled');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.labels['vsm.node']).toBe(N1);
  });

  it('an agent killed while it creates and starts containers runs each replica exactly once after its restart', async () => {
    await ok(owner, 'POST', '/v1/app', app('started', '1.0', TEST_IMAGE, { replicas: 3 }));
    const watch = firstCreate(N1);
    try {
      await deploy('started', '1.0', 'solo');
      await watch.created;
      expect(await agents.get(N1)!.stop('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    } finally {
      watch.stop();
    }
    const leftBehind = await all('started');
    expect(leftBehind.length).toBeGreaterThanOrEqual(1);
    expect(leftBehind.length).toBeLessThanOrEqual(3);

    await startAgent(N1);
    await pollUntil(() => runningOf('started'), (r) => r.length === 3, CONVERGE, 250);
    await sleep(2000);
    const rows = await all('started');
    expect(rows.map((r) => r.state)).toEqual(['running', 'running', 'running']);
    expect(new Set(rows.map((r) => r.labels['vsm.instance'])).size).toBe(3);
    // What the killed agent had created is kept, not duplicated.
    for (const c of leftBehind) expect(rows.map((r) => r.id)).toContain(c.id);
  });

  it('a partitioned agent (SIGSTOP) is not ready after the grace and ready again when healed; no container is restarted or doubled', async () => {
    await ok(owner, 'POST', '/v1/app', app('steady', '1.0', TEST_IMAGE, { replicas: 2 }));
    await deploy('steady', '1.0');
    const spread = await pollUntil(() => runningOf('steady'), (r) => r.length === 2, CONVERGE, 250);
    expect(new Set(spread.map((r) => r.labels['vsm.node']))).toEqual(new Set([N1, N2]));
    await sleep(1500);
    const before = await starts();

    const agent = agents.get(N1)!;
    const from = agent.lines.length;
    agent.proc.kill('SIGSTOP');
    try {
      await pollUntil(() => admin.isReady(CLUSTER, N1), (r) => r === false, GRACE + 10_000, 100);
      expect(await admin.isReady(CLUSTER, N2)).toBe(true);
      await sleep(GRACE); // well past the grace, still partitioned
      expect(await admin.isReady(CLUSTER, N1)).toBe(false);
    } finally {
      agent.proc.kill('SIGCONT');
    }
    await agent.waitForLine(connectedLine(N1, CLUSTER), 30_000, from);
    await pollUntil(() => admin.isReady(CLUSTER, N1), (r) => r === true, 30_000, 100);
    await sleep(3000); // several reconcile rounds after the reconnect
    const after = await starts();
    expect([...after.entries()].sort()).toEqual([...before.entries()].sort());
    expect((await admin.nodes(CLUSTER)).map((n) => n.isReady)).toEqual([true, true]);
  });

  it('a hub killed in the middle of a rolling upgrade finishes the upgrade after its restart', async () => {
    const minReadySeconds = 3;
    await ok(owner, 'POST', '/v1/app', app('roll', '1.0', TEST_IMAGE, { replicas: 2, minReadySeconds }));
    const first = await deploy('roll', '1.0');
    await pollUntil(() => runningOf('roll'), (r) => r.length === 2, CONVERGE, 250);
    // Old replicas count as available only after minReadySeconds; before that a rollout may drop them at once.
    await sleep(minReadySeconds * 1000 + 1000);
    await ok(owner, 'POST', '/v1/app', app('roll', '1.1', TEST_IMAGE, { replicas: 2, minReadySeconds, command: ['sh', '-c', 'echo 1.1; exec sleep 3600'] }));
    const second = await deploy('roll', '1.1');
    // A new replica exists and the old ones are not all gone: the rollout is under way.
    const versions = (r: { labels: Record<string, string> }[]) => new Set(r.map((c) => c.labels['vsm.version']));
    await pollUntil(() => all('roll'), (r) => versions(r).has('1.1') && versions(r).has('1.0'), CONVERGE, 100);
    expect(await hub.stop('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    await sleep(500);
    hub = await startHub();

    await pollUntil(
      () => runningOf('roll'),
      (r) => r.length === 2 && r.every((c) => c.labels['vsm.version'] === '1.1'),
      CONVERGE,
      250,
    );
    await sleep(2000);
    const rows = await all('roll');
    expect(rows.map((r) => `${r.state} ${r.labels['vsm.version']}`)).toEqual(['running 1.1', 'running 1.1']);
    const list = (await ok(owner, 'GET', '/v1/deploy?appName=roll&pageSize=0')).data as { id: number; status: number }[];
    expect(list.find((d) => d.id === first)?.status).toBe(3);
    expect(list.find((d) => d.id === second)?.status).toBe(1);
    const view = await pollUntil(
      () => owner.call('GET', `/v1/deploy/${second}`),
      (r) => r.body.data.instances.length === 2 && r.body.data.instances.every((i: { state: string }) => i.state === 'running'),
      CONVERGE,
      250,
    );
    expect(view.body.data.instances).toHaveLength(2);
  });
});
