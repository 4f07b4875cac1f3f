/**
 * Private pulls for real: Debian's docker-registry with the hub as its token service, the hub and two
 * agents (AGENT_RUNTIME=docker) as processes, and dockerd. An app version that names an external
 * repository (POST /v1/repository/third) is pulled by the agent with those credentials; a version whose
 * credentials are wrong ends in state 'error' with the pull error in GET /v1/deploy/[id]. The password
 * never shows in a log line (hub and agents at debug level), an API answer or hub.json, and only the
 * node that runs the workload receives it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDockerReady, containers, docker, removeNodeObjects, TEST_IMAGE } from '../helpers/docker.js';
import { recordingApi } from '../helpers/hub-process.js';
import { connectedLine, DOCKER_AGENT, LIVE_ADMIN_PASSWORD, startAgent, startHub } from '../helpers/live-hub.js';
import { assertBuilt, freePort, pollUntil, ProcessGroup, type Child } from '../helpers/processes.js';
import { assertDockerAndRegistry, run, startRegistry } from '../helpers/registry-process.js';
import { filesUnder } from '../helpers/security-fixtures.js';

const id = Math.random().toString(36).slice(2, 7);
const CLUSTER = `pp${id}`;
const N1 = `pp${id}-n1`;
const N2 = `pp${id}-n2`;
const PROJECT = `pp${id}`;
const OWNER = { user: `ppown${id}`, password: 'Passw0rdP' };
// Random per run, so that a match in a log or file can only come from this run's credentials.
const ACCOUNT = { user: `puller${id}`, password: `Pq7${randomBytes(6).toString('hex')}` };
const WRONG_PASSWORD = `Wr0${randomBytes(6).toString('hex')}`;
const SECRETS = [ACCOUNT.password, WRONG_PASSWORD];
/** How the secrets would look in an `Authorization: Basic` header. */
const BASIC = SECRETS.map((p) => Buffer.from(`${ACCOUNT.user}:${p}`).toString('base64'));

const group = new ProcessGroup();
const agents = new Map<string, Child>();
let dir: string;
let base: string;
let hub: Child;
let registry: Child | undefined;
let reg = ''; // host:port of the registry
let adminToken: string;
let ownerToken: string;
let good: string; // <reg>/<project>/cam:1, pulled with the right credentials
let bad: string; // <reg>/<project>/cam:2, pulled with a wrong password
let pushedDigest: string;
let goodDeploy: number;
let goodNode: string;
/** Every answer body, scanned for secrets at the end. */
const bodies: unknown[] = [];
const { api, ok } = recordingApi(() => base, bodies);

const login = async (user: string, password: string) => (await ok('POST', '/v1/authorization', undefined, { user, password })).token!;

/** The docker CLI with a configuration directory of this run (its login never reaches the engine). */
const cli = (...args: string[]) => run('docker', ['--config', join(dir, 'docker-cli'), ...args], { timeoutMs: 30_000 });

function joinAgent(node: string, token: string): Promise<Child> {
  const child = startAgent(group, { hubUrl: base, token, nodeName: node, dataDir: join(dir, node), env: { ...DOCKER_AGENT, AGENT_LOG_LEVEL: 'debug' } });
  agents.set(node, child);
  return child.waitForLine(connectedLine(node, CLUSTER), 15_000).then(() => child);
}

const appBody = (appName: string, image: string, repositoryId: string) => ({
  appName,
  deployType: 'deployment',
  image,
  version: '1.0',
  repositoryId,
  port: [],
  command: ['sh', '-c', 'echo pulled privately; exec sleep 3600'],
  replicas: 1,
  maxMemory: 32,
});

type Instance = { instanceId: string; nodeName: string; state: string; lastError?: string };
const instancesOf = async (deployId: number) => (await ok('GET', `/v1/deploy/${deployId}`, ownerToken)).data.instances as Instance[];

/** Hub log records (JSON lines) with this message, written at or after line `from`. */
function hubLogs(msg: string, from = 0): Record<string, any>[] {
  return hub.lines
    .slice(from)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((r) => r.msg === msg);
}

beforeAll(async () => {
  assertBuilt();
  await assertDockerAndRegistry();
  await assertDockerReady();
  dir = await mkdtemp(join(tmpdir(), 'vsm-private-pull-'));
  const [hubPort, regPort] = [await freePort(), await freePort()];
  reg = `127.0.0.1:${regPort}`;
  good = `${reg}/${PROJECT}/cam:1`;
  bad = `${reg}/${PROJECT}/cam:2`;
  const live = await startHub(group, {
    dataDir: join(dir, 'hub'),
    port: hubPort,
    startTimeoutMs: 20_000,
    env: { HUB_REGISTRY_URL: `http://${reg}`, HUB_LOG_LEVEL: 'debug' },
  });
  ({ child: hub, url: base } = live);
  registry = await startRegistry({ hubData: join(dir, 'hub'), root: join(dir, 'registry'), port: regPort, realm: `${base}/v1/registry/token` });
  adminToken = await login('admin', LIVE_ADMIN_PASSWORD);
  const joinToken = (await ok('POST', '/v1/cluster/token', adminToken, { clusterName: CLUSTER })).data.token as string;
  await Promise.all([joinAgent(N1, joinToken), joinAgent(N2, joinToken)]);
  // A business with its administrator, approved.
  const u = await ok('POST', '/v1/user', undefined, { ...OWNER, phone: '12345678', realName: 'Owner', isAdmin: true });
  await ok('PUT', `/v1/admin/user/${u.data.id}`, adminToken, { status: 1 });
  const b = await ok('POST', '/v1/business', await login(OWNER.user, OWNER.password), { name: `biz-${id}`, introduce: 'cams', objective: 'watch', scale: 'small' });
  await ok('PUT', `/v1/business/id/${b.data.id}`, adminToken, { status: 1, comment: 'ok' });
  ownerToken = await login(OWNER.user, OWNER.password);
}, 60_000);

afterAll(async () => {
  await group.killAll();
  await removeNodeObjects([N1, N2]).catch(() => undefined);
  if (reg) {
    const images = await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${reg}/*/*`]);
    const tags = images.stdout.split('\n').filter((t) => t && !t.endsWith(':<none>'));
    if (tags.length) await run('docker', ['rmi', ...tags]);
    const digests = await run('docker', ['images', '--digests', '--format', '{{.Repository}}@{{.Digest}}', '--filter', `reference=${reg}/*/*`]);
    const refs = digests.stdout.split('\n').filter((r) => r && !r.endsWith('@<none>'));
    if (refs.length) await run('docker', ['rmi', ...refs]);
  }
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('private image pulls with external repository credentials (real registry, hub, agents, dockerd)', () => {
  it('pushes the image to a private project with an API-created registry account, then removes it locally', async () => {
    await ok('POST', '/v1/repository/project', ownerToken, { projectName: PROJECT, public: false });
    await ok('POST', '/v1/repository/user', ownerToken, ACCOUNT);
    const l = await run('docker', ['--config', join(dir, 'docker-cli'), 'login', reg, '-u', ACCOUNT.user, '--password-stdin'], { input: ACCOUNT.password });
    expect(l.code, l.stderr).toBe(0);
    for (const tag of [good, bad]) {
      await docker('tag', TEST_IMAGE, tag);
      const push = await cli('push', tag);
      expect(push.code, push.stderr).toBe(0);
      if (tag === good) pushedDigest = /digest: (sha256:[a-f0-9]{64})/.exec(push.stdout)![1]!;
    }
    expect((await cli('logout', reg)).code).toBe(0);
    // The engine must pull: neither the tags nor their digest references stay behind.
    for (const tag of [good, bad]) await docker('rmi', tag);
    await docker('rmi', `${reg}/${PROJECT}/cam@${pushedDigest}`).catch(() => '');
    for (const tag of [good, bad]) expect((await run('docker', ['image', 'inspect', tag])).code).not.toBe(0);
    // Anonymous pulls of the private project are refused, so only credentials can get the image.
    const anon = await run('docker', ['--config', join(dir, 'docker-anon'), 'pull', good], { timeoutMs: 30_000 });
    expect(anon.code).not.toBe(0);
    expect(anon.stderr).toMatch(/denied|unauthorized|authentication required/i);
  });

  it('runs a version with repositoryId: the agent pulls with those credentials and the container runs the pushed image', async () => {
    await ok('POST', '/v1/repository/third', ownerToken, { repositoryId: 'private', address: reg, user: ACCOUNT.user, password: ACCOUNT.password });
    await ok('POST', '/v1/app', ownerToken, appBody('cam', good, 'private'));
    const from = hub.lines.length;
    goodDeploy = (await ok('POST', '/v1/deploy', ownerToken, { appName: 'cam', version: '1.0', clusterName: [CLUSTER] })).data.id as number;
    const [inst] = await pollUntil(
      async () => {
        const l = await instancesOf(goodDeploy);
        if (l[0]?.state === 'error') throw new Error(`the instance failed instead of running: ${l[0].lastError}`);
        return l;
      },
      (l) => l.length === 1 && l[0]!.state === 'running',
      30_000,
      200,
    );
    goodNode = inst!.nodeName;
    expect([N1, N2]).toContain(goodNode);
    const [row] = (await containers(`vsm.node=${goodNode}`, 'vsm.app=cam')).filter((c) => c.state === 'running');
    expect(row, 'a running container of app cam').toBeDefined();
    const c = JSON.parse(await docker('inspect', row!.id))[0];
    expect(c.Config.Image).toBe(good);
    const image = JSON.parse(await docker('image', 'inspect', good))[0];
    expect(c.Image).toBe(image.Id);
    expect(image.RepoDigests).toContain(`${reg}/${PROJECT}/cam@${pushedDigest}`);
    // The engine got its pull token from the hub with the external repository's account.
    const issued = hubLogs('registry token issued', from).filter((r) => r.account === ACCOUNT.user);
    expect(issued.map((r) => r.granted).flat()).toContain(`${PROJECT}/cam:pull`);
  });

  it('sends the credentials only to the node that runs the workload', async () => {
    const other = goodNode === N1 ? N2 : N1;
    const runner = join(dir, goodNode, 'desired.json');
    // The running node keeps them (to pull again without the hub) in a file only it may read.
    expect((await stat(runner)).mode & 0o777).toBe(0o600);
    const desired = JSON.parse(await readFile(runner, 'utf8'));
    const w = desired.workloads.find((x: { appName: string }) => x.appName === 'cam');
    expect(w.pullAuth).toEqual({ serveraddress: reg, username: ACCOUNT.user, password: ACCOUNT.password });
    const otherFile = await readFile(join(dir, other, 'desired.json'), 'utf8').catch(() => '');
    expect(otherFile).not.toContain(ACCOUNT.password);
    expect(otherFile).not.toContain('pullAuth');
  });

  it('a version with wrong credentials ends in state error with the pull error, and never runs', async () => {
    await ok('POST', '/v1/repository/third', ownerToken, { repositoryId: 'wrong', address: reg, user: ACCOUNT.user, password: WRONG_PASSWORD });
    await ok('POST', '/v1/app', ownerToken, appBody('badcam', bad, 'wrong'));
    const from = hub.lines.length;
    const deployId = (await ok('POST', '/v1/deploy', ownerToken, { appName: 'badcam', version: '1.0', clusterName: [CLUSTER] })).data.id as number;
    const states = new Set<string>();
    const [inst] = await pollUntil(
      async () => {
        const l = await instancesOf(deployId);
        for (const i of l) states.add(i.state);
        return l;
      },
      (l) => l.length === 1 && l[0]!.state === 'error' && !!l[0]!.lastError,
      20_000,
      100,
    );
    expect(inst!.lastError).toContain(`pull ${bad}`);
    expect(inst!.lastError).toMatch(/unauthorized|denied|authentication required/i);
    expect(states.has('running')).toBe(false);
    expect(await containers(`vsm.cluster=${CLUSTER}`, 'vsm.app=badcam')).toEqual([]);
    expect((await run('docker', ['image', 'inspect', bad])).code).not.toBe(0);
    // The wrong password did reach the token service, which refused it.
    expect(hubLogs('registry login refused', from).some((r) => r.account === ACCOUNT.user)).toBe(true);
    // The good workload is untouched.
    expect((await instancesOf(goodDeploy))[0]!.state).toBe('running');
  });

  it('never shows a password in a log line, an API answer or hub.json', async () => {
    for (const d of (await ok('GET', '/v1/deploy?pageSize=0', ownerToken)).data as { id: number }[]) await ok('GET', `/v1/deploy/${d.id}`, ownerToken);
    await ok('GET', '/v1/app/cam', ownerToken);
    await ok('GET', '/v1/app/badcam', ownerToken);
    await ok('GET', '/v1/app', ownerToken);
    await ok('GET', '/v1/repository/third', ownerToken);
    await ok('GET', '/v1/repository/third/private', ownerToken);
    const responses = JSON.stringify(bodies);
    const hubData = join(dir, 'hub');
    const hubJson = await readFile(join(hubData, 'hub.json'), 'utf8');
    const dataFiles = (await Promise.all((await filesUnder(hubData)).map((f) => readFile(f, 'latin1')))).join('\n');
    const sources: [string, string][] = [
      ['hub log', hub.lines.join('\n')],
      ...[...agents].map(([n, c]): [string, string] => [`agent ${n} log`, c.lines.join('\n')]),
      ['registry log', registry!.lines.join('\n')],
      ['API responses', responses],
      ['hub.json', hubJson],
      ['hub data dir', dataFiles],
    ];
    // The logs are at debug level and did record the pulls.
    expect(hub.lines.some((l) => l.includes('"level":"debug"'))).toBe(true);
    const agentLines = [...agents.values()].flatMap((c) => c.lines);
    expect(agentLines.some((l) => l.includes('container started'))).toBe(true);
    expect(agentLines.some((l) => l.includes('container could not be started') && l.includes(`pull ${bad}`))).toBe(true);
    for (const [what, text] of sources) {
      for (const s of [...SECRETS, ...BASIC]) expect(text.includes(s), `${what} contains a secret`).toBe(false);
    }
    expect(hubJson).toContain(ACCOUNT.user); // the record is there, its password sealed
  });
});
