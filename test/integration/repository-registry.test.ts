/**
 * Repository Management against the real thing: Debian's docker-registry started by scripts/registry.sh
 * with the hub as its token service, the hub as a process, and the docker CLI logging in, pushing and
 * pulling with accounts the API created.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, recordingApi } from '../helpers/hub-process.js';
import { LIVE_ADMIN_PASSWORD, startHub } from '../helpers/live-hub.js';
import { freePort, ProcessGroup, type Child } from '../helpers/processes.js';
import { assertDockerAndRegistry, importImage, run, startRegistry, type Run } from '../helpers/registry-process.js';

const PASSWORD = 'Passw0rdX';
const ALICE = { user: 'alice', password: 'AlicePass1' };
const BOB = { user: 'bob', password: 'BobPass123' };
const EXTERNAL_SECRET = 'Ext3rnal-S3cret!';

const group = new ProcessGroup();
let dir: string;
let hub: Child;
let registry: Child | undefined;
let base: string;
let reg: string;
const tokens: Record<string, string> = {};
/** Every answer body, scanned for secrets at the end. */
const bodies: unknown[] = [];
const { api, ok } = recordingApi(() => base, bodies);

/** The docker CLI with its own config directory per person, so logins do not mix. */
const docker = (who: 'alice' | 'bob', ...args: string[]): Promise<Run> => run('docker', ['--config', join(dir, `docker-${who}`), ...args], { timeoutMs: 60_000 });

/** An approved business with its admin (role 3) and a member (role 2), logged in. */
async function business(name: string, prefix: string): Promise<void> {
  const admin = tokens.admin!;
  const reg1 = await ok('POST', '/v1/user', undefined, { user: `${prefix}-admin`, password: PASSWORD, phone: '12345678', realName: 'A', isAdmin: true });
  await ok('PUT', `/v1/admin/user/${reg1.data.id}`, admin, { status: 1 });
  tokens[`${prefix}Admin`] = (await ok('POST', '/v1/authorization', undefined, { user: `${prefix}-admin`, password: PASSWORD })).token!;
  const b = await ok('POST', '/v1/business', tokens[`${prefix}Admin`], { name, introduce: 'x', objective: 'y', scale: 'z' });
  await ok('PUT', `/v1/business/id/${b.data.id}`, admin, { status: 1, comment: 'ok' });
  await ok('POST', '/v1/admin/user', tokens[`${prefix}Admin`], { user: `${prefix}-member`, password: PASSWORD, phone: '12345678', realName: 'M', isAdmin: false });
  tokens[`${prefix}Member`] = (await ok('POST', '/v1/authorization', undefined, { user: `${prefix}-member`, password: PASSWORD })).token!;
}

beforeAll(async () => {
  await assertDockerAndRegistry();
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'repo-int-'));
  const [hubPort, regPort] = [await freePort(), await freePort()];
  reg = `127.0.0.1:${regPort}`;
  ({ child: hub, url: base } = await startHub(group, {
    dataDir: join(dir, 'hub'),
    port: hubPort,
    startTimeoutMs: 20_000,
    env: { HUB_REGISTRY_URL: `http://${reg}`, HUB_LOG_LEVEL: 'debug' },
  }));
  registry = await startRegistry({ hubData: join(dir, 'hub'), root: join(dir, 'registry'), port: regPort, realm: `${base}/v1/registry/token` });
  tokens.admin = (await ok('POST', '/v1/authorization', undefined, { user: 'admin', password: LIVE_ADMIN_PASSWORD })).token!;
  await business('Alpha', 'a');
  await business('Beta', 'b');
  await importImage(`${reg}/alpha/cam:v1`, 'cam one');
  await importImage(`${reg}/alpha/cam:v2`, 'cam two');
  await importImage(`${reg}/pub/web:1.0`, 'web');
}, 90_000);

afterAll(async () => {
  if (reg) {
    const images = await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${reg}/*/*`]);
    const tags = images.stdout.split('\n').filter(Boolean);
    if (tags.length) await run('docker', ['rmi', '-f', ...tags]);
  }
  await registry?.stop();
  await group.killAll();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('repository management on docker-registry with the hub as token service', () => {
  it('sets up the registry with a certificate of the hub key; the key stays private', async () => {
    expect((await stat(join(dir, 'hub/registry-token.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'hub/repository-secret.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'hub/registry-token.crt'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });

  it('creates projects and registry accounts through the API', async () => {
    await ok('POST', '/v1/repository/project', tokens.aAdmin, { projectName: 'alpha', public: false });
    await ok('POST', '/v1/repository/project', tokens.aAdmin, { projectName: 'pub', public: true });
    await ok('POST', '/v1/repository/user', tokens.aMember, ALICE);
    await ok('POST', '/v1/repository/user', tokens.bMember, BOB);
    expect((await ok('GET', '/v1/authorization', tokens.aMember)).data.hasRepoAccount).toBe(true);
    expect((await ok('GET', '/v1/authorization', tokens.aAdmin)).data.hasRepoAccount).toBe(false);
  });

  it('docker login works with an API-created account and fails with a wrong password', async () => {
    const a = await run('docker', ['--config', join(dir, 'docker-alice'), 'login', reg, '-u', ALICE.user, '--password-stdin'], { input: ALICE.password });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/Login Succeeded/);
    const bad = await run('docker', ['--config', join(dir, 'docker-bad'), 'login', reg, '-u', ALICE.user, '--password-stdin'], { input: 'Wrong12345' });
    expect(bad.code).not.toBe(0);
    const b = await run('docker', ['--config', join(dir, 'docker-bob'), 'login', reg, '-u', BOB.user, '--password-stdin'], { input: BOB.password });
    expect(b.code, b.stderr).toBe(0);
  });

  it('a member pushes two tags to their private project and the API lists the image and its tags', async () => {
    const digests: Record<string, string> = {};
    for (const tag of ['v1', 'v2']) {
      const r = await docker('alice', 'push', `${reg}/alpha/cam:${tag}`);
      expect(r.code, r.stderr).toBe(0);
      digests[tag] = /digest: (sha256:[a-f0-9]{64})/.exec(r.stdout)![1]!;
    }
    expect(digests.v1).not.toBe(digests.v2);
    const images = await ok('GET', '/v1/repository/image?projectName=alpha', tokens.aMember);
    expect(images.total).toBe(1);
    expect(images.data[0]).toMatchObject({ projectName: 'alpha', public: false, imageName: 'alpha/cam', imageAddress: `${reg}/alpha/cam`, tagCount: 2 });
    expect(images.data[0].createTime).toBeGreaterThan(Date.now() / 1000 - 600);
    const tags = await ok('GET', '/v1/repository/image/tag?imageName=alpha/cam', tokens.aMember);
    expect(tags.data.map((t: { tag: string; digest: string }) => [t.tag, t.digest])).toEqual([
      ['v1', digests.v1],
      ['v2', digests.v2],
    ]);
    const projects = await ok('GET', '/v1/repository/project', tokens.aMember);
    expect(projects.data.find((p: { projectName: string }) => p.projectName === 'alpha').imageCount).toBe(1);
  });

  it('a user of another business may neither pull from nor push to the private project', async () => {
    const pull = await docker('bob', 'pull', `${reg}/alpha/cam:v1`);
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toMatch(/denied|unauthorized/i);
    await run('docker', ['tag', `${reg}/alpha/cam:v1`, `${reg}/alpha/cam:bob`]);
    const push = await docker('bob', 'push', `${reg}/alpha/cam:bob`);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/denied|unauthorized/i);
    const tags = await ok('GET', '/v1/repository/image/tag?imageName=alpha/cam', tokens.aMember);
    expect(tags.data.map((t: { tag: string }) => t.tag)).toEqual(['v1', 'v2']);
    // Nor may they see it through the API.
    expect((await api('GET', '/v1/repository/image?projectName=alpha', tokens.bMember)).status).toBe(404);
  });

  it('but may pull from a public project, and still not push to it', async () => {
    const push = await docker('alice', 'push', `${reg}/pub/web:1.0`);
    expect(push.code, push.stderr).toBe(0);
    await run('docker', ['rmi', `${reg}/pub/web:1.0`]);
    const pull = await docker('bob', 'pull', `${reg}/pub/web:1.0`);
    expect(pull.code, pull.stderr).toBe(0);
    await run('docker', ['tag', `${reg}/pub/web:1.0`, `${reg}/pub/web:bob`]);
    const denied = await docker('bob', 'push', `${reg}/pub/web:bob`);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/denied|unauthorized/i);
  });

  it('deleting a tag through the API removes it from the registry; the other tag stays', async () => {
    await ok('DELETE', '/v1/repository/image/tag', tokens.aAdmin, { imageName: 'alpha/cam', tag: ['v1'] });
    const tags = await ok('GET', '/v1/repository/image/tag?imageName=alpha/cam', tokens.aMember);
    expect(tags.data.map((t: { tag: string }) => t.tag)).toEqual(['v2']);
    await run('docker', ['rmi', `${reg}/alpha/cam:v1`, `${reg}/alpha/cam:v2`]);
    const gone = await docker('alice', 'pull', `${reg}/alpha/cam:v1`);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/not found|manifest unknown/i);
    const kept = await docker('alice', 'pull', `${reg}/alpha/cam:v2`);
    expect(kept.code, kept.stderr).toBe(0);
  });

  it('keeps external repository passwords out of every response, log line and the data file', async () => {
    await ok('POST', '/v1/repository/third', tokens.aAdmin, { repositoryId: 'ext1', address: 'registry.example.com', user: 'puller', password: EXTERNAL_SECRET });
    await ok('GET', '/v1/repository/third', tokens.aMember);
    await ok('GET', '/v1/repository/third/ext1', tokens.aMember);
    const hubFile = await readFile(join(dir, 'hub/hub.json'), 'utf8');
    const logs = hub.lines.join('\n') + (registry?.lines.join('\n') ?? '');
    const responses = JSON.stringify(bodies);
    for (const secret of [EXTERNAL_SECRET, ALICE.password, BOB.password]) {
      expect(responses).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(hubFile).not.toContain(secret);
    }
    expect(hub.logs(/external repository created/)).toHaveLength(1);
  });

  it('deleting the project deletes its images', async () => {
    const id = (await ok('GET', '/v1/repository/project?projectName=alpha', tokens.aAdmin)).data[0].projectId;
    await ok('DELETE', '/v1/repository/project', tokens.aAdmin, { projectId: [id] });
    await run('docker', ['rmi', `${reg}/alpha/cam:v2`]);
    const gone = await docker('alice', 'pull', `${reg}/alpha/cam:v2`);
    expect(gone.code).not.toBe(0);
    expect((await api('GET', '/v1/repository/image?projectName=alpha', tokens.aMember)).status).toBe(404);
  });
});
