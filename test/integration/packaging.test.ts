import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedLine, HubClient, LIVE_ADMIN_PASSWORD, startHub } from '../helpers/live-hub.js';
import { dockerOut, filesUnder, imageMb, median, mustRun, runTool, snapshotTree } from '../helpers/packaging.js';
import { assertBuilt, Child, freePort, pollUntil, ProcessGroup, ROOT } from '../helpers/processes.js';

// Builds the product's images from this checkout and runs them for real (issue 9). Everything it
// creates is named vsm-pkg-<random> and removed at the end; the images stay (they are the build's
// output, and the next run reuses their layers).
const ID = randomBytes(3).toString('hex');
const P = `vsm-pkg-${ID}`;
const CLUSTER = `pkg-${ID}`;
const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Top-level packages the lockfile marks as needed for development only. */
const DEV_ONLY = Object.entries((JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }).packages)
  .filter(([path, p]) => p.dev && /^node_modules\/(@[^/]+\/)?[^/@]+$/.test(path))
  .map(([path]) => path.slice('node_modules/'.length));
const READY_TIMEOUT = 60_000;
const AGENT_RUNS = 3;

const made = { containers: [] as string[], networks: [] as string[], volumes: [] as string[], composeProjects: [] as string[] };
const group = new ProcessGroup();
let hubUrl = '';
let api: HubClient;

const say = (line: string) => process.stdout.write(`packaging: ${line}\n`);
/** An empty env file, so that a developer's .env beside docker-compose.yml plays no part. */
const EMPTY_ENV = join(tmpdir(), `${P}.env`);
const composeArgs = (project: string, ...args: string[]) => ['--env-file', EMPTY_ENV, '-p', project, '-f', 'docker-compose.yml', ...args];
const compose = (project: string, env: Record<string, string>, ...args: string[]) => runTool('docker-compose', composeArgs(project, ...args), { env, timeoutMs: 300_000 });
const inImage = (image: string, script: string) => dockerOut('run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c', script);

beforeAll(async () => {
  assertBuilt();
  await writeFile(EMPTY_ENV, '');
  let t = Date.now();
  await mustRun('bash', ['scripts/build-base-image.sh']);
  say(`base images ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  await mustRun('bash', ['scripts/build-images.sh', 'hub', 'agent', 'registry']);
  say(`vsm-hub, vsm-agent and vsm-registry built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}, 900_000);

afterAll(async () => {
  await group.killAll();
  for (const p of made.composeProjects) {
    const r = await compose(p, { HUB_ADMIN_PASSWORD: LIVE_ADMIN_PASSWORD }, 'down', '-v', '--remove-orphans', '--timeout', '20');
    if (r.code !== 0) say(`compose down of ${p} failed: ${r.stderr}`);
  }
  if (made.containers.length) await runTool('docker', ['rm', '-f', '-v', ...made.containers]);
  for (const n of made.networks) await runTool('docker', ['network', 'rm', n]);
  if (made.volumes.length) await runTool('docker', ['volume', 'rm', '-f', ...made.volumes]);
  await rm(EMPTY_ENV, { force: true });
}, 120_000);

describe('the container images', () => {
  it('are small, hold production dependencies only, and print their version', async () => {
    const sizes = { base: await imageMb('node:20-bookworm-slim'), hub: await imageMb('vsm-hub:latest'), agent: await imageMb('vsm-agent:latest') };
    say(`image sizes: node:20-bookworm-slim ${sizes.base} MB, vsm-hub ${sizes.hub} MB, vsm-agent ${sizes.agent} MB, vsm-registry ${await imageMb('vsm-registry:latest')} MB`);

    for (const [image, name, own, foreign] of [
      ['vsm-hub:latest', 'hub', 'swagger-ui-dist', 'dockerode'],
      ['vsm-agent:latest', 'agent', 'dockerode', 'swagger-ui-dist'],
    ] as const) {
      const modules = (await inImage(image, 'cd node_modules && ls -d [!@]* @*/* && test ! -e /src && test ! -e ../dist/test && echo CLEAN')).split(/\s+/);
      expect(modules).toContain('CLEAN'); // no build stage, sources or tests in the final image
      expect(modules).toContain(own);
      expect(modules).not.toContain(foreign);
      expect(DEV_ONLY).toContain('vitest');
      expect(modules.filter((m) => DEV_ONLY.includes(m)), `development packages in ${image}`).toEqual([]);
      const line = await dockerOut('run', '--rm', '--network', 'none', image, '--version');
      expect(line).toMatch(new RegExp(`^vsm-${name} ${VERSION.replace(/\./g, '\\.')}\\b`));
      // The same line from the checkout's own build.
      expect(await mustRun(process.execPath, [`dist/${name}/src/main.js`, '--version'])).toBe(line);
    }
    expect(await dockerOut('run', '--rm', '--network', 'none', 'vsm-hub:latest', '--version')).toMatch(/\(agent protocol \d+\)$/);
    expect(await dockerOut('image', 'inspect', '-f', '{{.Config.User}} {{len .Config.Healthcheck.Test}}', 'vsm-hub:latest')).toMatch(/^node [1-9]/);
  });

  it('runs the hub as a non-root user until its health check turns healthy', async () => {
    await dockerOut('network', 'create', `${P}-net`);
    made.networks.push(`${P}-net`);
    await dockerOut('volume', 'create', `${P}-hub-data`);
    made.volumes.push(`${P}-hub-data`);
    made.containers.push(`${P}-hub`);
    await dockerOut('run', '-d', '--name', `${P}-hub`, '--network', `${P}-net`, '-p', '127.0.0.1::8080', '-v', `${P}-hub-data:/data`,
      '-e', `HUB_ADMIN_PASSWORD=${LIVE_ADMIN_PASSWORD}`, 'vsm-hub:latest');
    const health = await pollUntil(() => dockerOut('inspect', '-f', '{{.State.Health.Status}}', `${P}-hub`), (s) => s === 'healthy' || s === 'unhealthy', 120_000, 500);
    expect(health).toBe('healthy');
    // The hub's own process (PID 1 of the container), not a `docker exec` shell.
    expect(await dockerOut('exec', `${P}-hub`, 'sh', '-c', "awk '/^Uid:/ {print $2}' /proc/1/status")).toBe('1000');
    expect(await dockerOut('exec', `${P}-hub`, 'stat', '-c', '%U %a', '/data/hub.json')).toBe('node 600');

    hubUrl = `http://${await dockerOut('port', `${P}-hub`, '8080/tcp')}`.split('\n')[0]!;
    for (const path of ['/', '/docs', '/v1/openapi.json']) expect((await fetch(hubUrl + path)).status, path).toBe(200);
    api = await HubClient.login(hubUrl);
  }, 180_000);

  it('joins agent containers with the Docker socket mounted, measuring docker run to ready', async () => {
    expect(api, 'the hub container runs').toBeDefined();
    const token = await api.joinToken(CLUSTER);
    const times: number[] = [];
    for (let i = 1; i <= AGENT_RUNS; i++) {
      const node = `${CLUSTER}-n${i}`;
      made.containers.push(`${P}-agent-${i}`);
      made.volumes.push(`${P}-agent-${i}`);
      const t0 = performance.now();
      await dockerOut('run', '-d', '--init', '--name', `${P}-agent-${i}`, '--network', `${P}-net`,
        '-v', '/var/run/docker.sock:/var/run/docker.sock', '-v', `${P}-agent-${i}:/var/lib/vsm-agent`,
        '-e', `AGENT_HUB_URL=http://${P}-hub:8080`, '-e', `AGENT_TOKEN=${token}`, '-e', `AGENT_NODE_NAME=${node}`, 'vsm-agent:latest');
      await pollUntil(() => api.isReady(CLUSTER, node), (r) => r === true, READY_TIMEOUT, 50);
      times.push((performance.now() - t0) / 1000);
      const [row] = await api.nodes(CLUSTER, node);
      expect(row).toMatchObject({ nodeName: node, clusterName: CLUSTER, isReady: true, agentVersion: VERSION, operatingSystem: 'Linux' });
    }
    say(`docker run of the agent to its node ready: ${times.map((t) => `${t.toFixed(2)} s`).join(', ')} (median ${median(times).toFixed(2)} s)`);

    // Each agent drives Docker through the socket: it told the hub its runtime is docker.
    const doc = JSON.parse(await dockerOut('exec', `${P}-hub`, 'cat', '/data/hub.json')) as { nodes: { nodeName: string; clusterName: string; runtime: string }[] };
    const ours = doc.nodes.filter((n) => n.clusterName === CLUSTER);
    expect(ours.map((n) => n.runtime)).toEqual(Array(AGENT_RUNS).fill('docker'));
    expect(await dockerOut('logs', `${P}-agent-1`)).not.toMatch(/Docker is not reachable/);
    expect(await dockerOut('exec', `${P}-agent-1`, 'sh', '-c', "awk '/^Uid:/ {print $2}' /proc/1/status")).toBe('0');
  }, 240_000);
});

describe('docker-compose.yml', () => {
  it('is valid, and refuses to start without the administrator password', async () => {
    const ok = await compose(`${P}-c`, { HUB_ADMIN_PASSWORD: LIVE_ADMIN_PASSWORD }, 'config', '-q');
    expect(ok.code, ok.stderr).toBe(0);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'HUB_ADMIN_PASSWORD')) as Record<string, string>;
    const r = await runTool('docker-compose', composeArgs(`${P}-c`, 'config', '-q'), { env: { ...env, HUB_ADMIN_PASSWORD: '' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/set HUB_ADMIN_PASSWORD/);
  });

  it('brings up a one-box site whose local node is ready and whose registry answers through the hub', async () => {
    const project = `${P}-c`;
    const [hubPort, registryPort] = [await freePort(), await freePort()];
    const env = { HUB_ADMIN_PASSWORD: LIVE_ADMIN_PASSWORD, VSM_HUB_PORT: String(hubPort), VSM_REGISTRY_PORT: String(registryPort), VSM_NODE_NAME: `${P}-local`, VSM_CLUSTER: CLUSTER };
    made.composeProjects.push(project);
    const t0 = performance.now();
    const up = await compose(project, env, 'up', '-d', '--no-build');
    expect(up.code, up.stderr).toBe(0);
    const local = await HubClient.login(`http://127.0.0.1:${hubPort}`);
    await pollUntil(() => local.isReady(CLUSTER, `${P}-local`), (r) => r === true, READY_TIMEOUT, 100);
    say(`docker-compose up to the local node ready: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    const v2 = await fetch(`http://127.0.0.1:${registryPort}/v2/`);
    expect(v2.status).toBe(401);
    expect(v2.headers.get('www-authenticate')).toContain(`realm="http://127.0.0.1:${hubPort}/v1/registry/token"`);

    const down = await compose(project, env, 'down', '-v', '--remove-orphans', '--timeout', '20');
    expect(down.code, down.stderr).toBe(0);
    made.composeProjects.pop();
    expect(await dockerOut('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`)).toBe('');
    expect(await dockerOut('volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`)).toBe('');
  }, 300_000);
});

describe('scripts/install-agent.sh', () => {
  it('installs a verified systemd service into a throwaway root, idempotently, and uninstalls it', async () => {
    const work = await mkdtemp(join(tmpdir(), `${P}-install-`));
    const root = join(work, 'root');
    const realEtc = existsSync('/etc/vsm-agent');
    let agent: Child | undefined;
    try {
      // systemd's own units inside the root, so that `systemd-analyze verify --root` resolves the unit's dependencies.
      await mkdir(join(root, 'usr/lib/systemd'), { recursive: true });
      await mustRun('cp', ['-a', '/usr/lib/systemd/system', join(root, 'usr/lib/systemd/')]);
      const before = await filesUnder(root);
      const hub = await startHub(group, { dataDir: join(work, 'hub') });
      const token = await (await HubClient.login(hub.url)).joinToken(`${CLUSTER}-sd`);
      const tokenFile = join(work, 'token');
      await writeFile(tokenFile, token + '\n', { mode: 0o600 });
      const install = (...more: string[]) => mustRun('bash', ['scripts/install-agent.sh', '--root', root, ...more], { timeoutMs: 120_000 });
      const args = ['--hub-url', hub.url, '--token-file', tokenFile, '--node-name', 'edge-1', '--runtime', 'none'];

      expect(await install(...args)).toMatch(/installed into/);
      const env = await readFile(join(root, 'etc/vsm-agent/agent.env'), 'utf8');
      expect(env).toContain(`AGENT_TOKEN=${token}\n`);
      expect((await stat(join(root, 'etc/vsm-agent/agent.env'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(root, 'etc/vsm-agent'))).mode & 0o777).toBe(0o700);
      const unit = await readFile(join(root, 'etc/systemd/system/vsm-agent.service'), 'utf8');
      expect(unit).toMatch(/^Restart=always$/m);
      expect(unit).toMatch(/^EnvironmentFile=\/etc\/vsm-agent\/agent.env$/m);
      const snap = await snapshotTree(root);
      expect(snap.get('etc/systemd/system/multi-user.target.wants/vsm-agent.service')).toMatch(/-> \/etc\/systemd\/system\/vsm-agent.service$/);

      const verify = await runTool('systemd-analyze', ['verify', `--root=${root}`, '/etc/systemd/system/vsm-agent.service'], { cwd: root });
      expect(verify.code, verify.stderr).toBe(0);
      expect(`${verify.stdout}${verify.stderr}`).not.toMatch(/vsm-agent/); // parse warnings also exit 0

      // The installed program, started as the unit would (its env file, its own node), joins the hub.
      const settings = Object.fromEntries(env.split('\n').filter((l) => /^AGENT_\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      const app = join(root, 'opt/vsm-agent');
      agent = new Child('installed agent', spawn(join(app, 'bin/node'), [join(app, 'dist/agent/src/main.js')], {
        cwd: app,
        env: { PATH: process.env.PATH, ...settings, AGENT_DATA_DIR: join(root, 'var/lib/vsm-agent') },
        stdio: ['ignore', 'pipe', 'pipe'],
      }));
      await agent.waitForLine(connectedLine('edge-1', `${CLUSTER}-sd`), 30_000);
      await agent.stop();

      // Idempotent: the same options, or none (an upgrade keeps agent.env), touch nothing.
      const settled = await snapshotTree(root);
      expect(await install(...args)).toMatch(/already up to date/);
      expect(await install()).toMatch(/already up to date/);
      expect(await snapshotTree(root)).toEqual(settled);

      // --uninstall keeps only the node's identity (the state directory); --purge removes that too.
      expect(await install('--uninstall')).toMatch(/kept \/var\/lib\/vsm-agent/);
      const left = await filesUnder(root);
      expect(left).toContain('var/lib/vsm-agent/identity.json');
      expect(left.filter((f) => !f.startsWith('var/lib/vsm-agent/'))).toEqual(before);
      await install('--uninstall', '--purge');
      expect(await filesUnder(root)).toEqual(before);
      expect(existsSync('/etc/vsm-agent')).toBe(realEtc); // the host's /etc untouched
    } finally {
      await agent?.stop('SIGKILL');
      await rm(work, { recursive: true, force: true });
    }
  }, 240_000);
});
