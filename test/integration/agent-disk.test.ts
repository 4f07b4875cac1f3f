/**
 * An edge node's disk fills up (recordings) or turns read-only: its agent cannot save the desired
 * state, yet it applies every new one at once and tells the hub so (docs/security.md). Real hub,
 * real agent with Docker, the agent's data directory on a small tmpfs (needs root, as CI has).
 * The reconcile timer is set to 10 minutes, so only the push itself can start the containers.
 * A damaged saved state does not keep an agent from starting either.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDockerReady, containers, docker, removeNodeObjects, TEST_IMAGE } from '../helpers/docker.js';
import { businessWithAdmin, ok } from '../helpers/live-business.js';
import { connectedLine, HubClient, startAgent, startHub, type LiveHub } from '../helpers/live-hub.js';
import { assertBuilt, pollUntil, ProcessGroup, type Child } from '../helpers/processes.js';

const sh = promisify(execFile);
const run = Math.random().toString(36).slice(2, 7);
const CLUSTER = `dk${run}`;
const NODE = `dk${run}-n1`;

const group = new ProcessGroup();
let root: string;
let mount = '';
let hub: LiveHub;
let admin: HubClient;
let owner: HubClient;
let ns = '';
let agent: Child;
/** The agent started on a damaged desired.json; the identity test damages its identity next. */
let torn: Child | undefined;

/** Fills the filesystem of `dir` to its last byte. */
async function fill(dir: string): Promise<void> {
  for (const [name, size] of [['filler', 4096], ['filler2', 1]] as const) {
    const fh = await open(join(dir, name), 'w');
    try {
      for (;;) await fh.write(Buffer.alloc(size, 1));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}

const app = (appName: string) => ({ appName, deployType: 'deployment', image: TEST_IMAGE, version: '1.0', port: [], command: ['sh', '-c', 'exec sleep 3600'], replicas: 1 });

/** Deploys a new app and waits for its container to run on the node. */
async function deployAndRun(appName: string): Promise<void> {
  await ok(owner, 'POST', '/v1/app', app(appName));
  const id = (await ok(owner, 'POST', '/v1/deploy', { appName, version: '1.0', clusterName: [CLUSTER] })).data.id as number;
  await pollUntil(async () => (await containers(`vsm.node=${NODE}`, `vsm.app=${appName}`)).filter((c) => c.state === 'running'), (r) => r.length === 1, 30_000, 250);
  await pollUntil(() => owner.call('GET', `/v1/deploy/${id}`), (r) => r.body.data.instances[0]?.state === 'running', 15_000, 250);
}

const saved = async () => readFile(join(mount, 'desired.json'), 'utf8');

beforeAll(async () => {
  assertBuilt();
  await assertDockerReady();
  root = await mkdtemp(join(tmpdir(), 'vsm-agent-disk-'));
  const dir = join(root, 'agent');
  await mkdir(dir);
  try {
    await sh('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir]);
  } catch (e) {
    throw new Error(`this test mounts a small tmpfs as the agent's data directory and needs root (CI runs as root): ${(e as Error).message}`);
  }
  mount = dir;
  hub = await startHub(group, { dataDir: join(root, 'hub') });
  admin = await HubClient.login(hub.url);
  const biz = await businessWithAdmin(admin, `dk${run}`, 'Passw0rdD');
  owner = biz.owner;
  ns = `ns${biz.id}`;
  agent = startAgent(group, { hubUrl: hub.url, token: await admin.joinToken(CLUSTER), nodeName: NODE, dataDir: mount, env: { AGENT_RUNTIME: 'docker', AGENT_RECONCILE_MS: '600000' } });
  await agent.waitForLine(connectedLine(NODE, CLUSTER), 20_000);
  await pollUntil(() => saved().catch(() => ''), (t) => t.includes(ns), 15_000, 100);
}, 90_000);

afterAll(async () => {
  await group.killAll();
  await removeNodeObjects([NODE]);
  if (ns) await docker('network', 'rm', ns).catch(() => '');
  if (mount) await sh('umount', [mount]).catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
}, 60_000);

describe("an agent that cannot save its desired state", { timeout: 90_000 }, () => {
  it('on a read-only data directory applies the new desired state at once, and saves again once writable', async () => {
    await sh('mount', ['-o', 'remount,ro', mount]);
    try {
      await deployAndRun('ro-cam');
      expect(await saved()).not.toContain('ro-cam');
      expect(agent.logs(/desired state not saved/).map((r) => String(r.error))).toContainEqual(expect.stringMatching(/EROFS|read-only/i));
    } finally {
      await sh('mount', ['-o', 'remount,rw', mount]);
    }
    await deployAndRun('rw-cam');
    const text = await saved();
    expect(text).toContain('ro-cam');
    expect(text).toContain('rw-cam');
  });

  it('on a full disk applies the new desired state at once, and saves again once there is space', async () => {
    await fill(mount);
    try {
      await deployAndRun('full-cam');
      expect(await saved()).not.toContain('full-cam');
      expect(agent.logs(/desired state not saved/).map((r) => String(r.error))).toContainEqual(expect.stringMatching(/ENOSPC|no space/i));
    } finally {
      await rm(join(mount, 'filler'), { force: true });
      await rm(join(mount, 'filler2'), { force: true });
    }
    await deployAndRun('space-cam');
    expect(await saved()).toContain('full-cam');
    expect((await readdir(mount)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(agent.running).toBe(true);
  });

  it('with an unreadable saved desired state (a torn or damaged file) starts, sets it aside and rejoins', async () => {
    const dir = join(root, 'torn');
    await mkdir(dir, { mode: 0o700 });
    await writeFile(join(dir, 'desired.json'), '{"generation": 7, "namespaces": ["ns1"', { mode: 0o600 });
    torn = startAgent(group, { hubUrl: hub.url, token: await admin.joinToken(CLUSTER), nodeName: `${NODE}-torn`, dataDir: dir });
    await torn.waitForLine(connectedLine(`${NODE}-torn`, CLUSTER), 20_000);
    expect(torn.logs(/saved desired state unreadable/)).toHaveLength(1);
    expect(await readFile(join(dir, 'desired.rejected.json'), 'utf8')).toContain('"generation": 7');
    // The hub's copy replaces it.
    await pollUntil(() => readFile(join(dir, 'desired.json'), 'utf8').catch(() => ''), (t) => t.includes(ns), 15_000, 100);
    expect(await admin.isReady(CLUSTER, `${NODE}-torn`)).toBe(true);
  });

  it('with an unreadable identity enrolls again with its join token and gets the same node back', async () => {
    const node = `${NODE}-torn`;
    const dir = join(root, 'torn');
    const { nodeId } = JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8')) as { nodeId: string };
    expect(await torn!.stop('SIGTERM')).toMatchObject({ code: 0 });
    await writeFile(join(dir, 'identity.json'), '{"nodeId": "', { mode: 0o600 });
    const again = startAgent(group, { hubUrl: hub.url, token: await admin.joinToken(CLUSTER), nodeName: node, dataDir: dir });
    await again.waitForLine(connectedLine(node, CLUSTER), 20_000);
    expect(again.logs(/node identity unreadable/)).toHaveLength(1);
    expect((await admin.nodes(CLUSTER, node)).map((n) => n.isReady)).toEqual([true]);
    const identity = JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8')) as { nodeId: string; credential: string };
    expect(identity.nodeId).toBe(nodeId);
    expect(identity.credential).toMatch(/^vsmn\./);
  });
});
