import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessInput, registration } from '../helpers/roles.js';
import { ensureBuilt, http, killLeftovers, oversizedPost, runToExit, startHub, type RunningHub } from '../helpers/hub-process.js';

const ADMIN_PASSWORD = 'Admin12345';
let dataDir: string;
let hub: RunningHub | undefined;

const env = () => ({ HUB_PORT: '0', HUB_HOST: '127.0.0.1', HUB_DATA_DIR: dataDir, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, HUB_LOG_LEVEL: 'info' });

beforeAll(async () => {
  ensureBuilt();
  dataDir = await mkdtemp(join(tmpdir(), 'hub-proc-'));
});

afterAll(async () => {
  killLeftovers();
  await rm(dataDir, { recursive: true, force: true });
});

/** What the flow leaves behind, for the checks after the restart. */
const kept = {
  adminToken: '',
  bizAdminToken: '',
  revoked: [] as string[],
  businessId: 0,
  users: [] as unknown[],
  businesses: [] as unknown[],
  business: undefined as unknown,
};

describe('the hub as a process', () => {
  it('starts, prints the admin once, and serves the whole user and business flow over HTTP', async () => {
    hub = await startHub(env());
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(hub.stdout()).toContain('admin user: admin\n');
    expect(hub.stdout()).toContain('admin password: (from HUB_ADMIN_PASSWORD)\n');
    const call = (m: string, p: string, o?: Parameters<typeof http>[3]) => http(hub!.url, m, p, o);
    const login = async (user: string, password: string) => {
      const r = await call('POST', '/v1/authorization', { body: { user, password } });
      expect(r.status, `login ${user}: ${r.body.message}`).toBe(200);
      return r.body.token!;
    };

    const admin = await login('admin', ADMIN_PASSWORD);
    const reg = await call('POST', '/v1/user', { body: registration('ops-lead', true) });
    expect(reg.status).toBe(200);
    expect((await call('PUT', `/v1/admin/user/${reg.body.data.id}`, { token: admin, body: { status: 1 } })).status).toBe(200);

    const lead = await login('ops-lead', 'Passw0rdX');
    const biz = await call('POST', '/v1/business', { token: lead, body: businessInput('Harbor') });
    expect(biz.status).toBe(200);
    const bid = biz.body.data.id as number;
    expect((await call('PUT', `/v1/business/id/${bid}`, { token: admin, body: { status: 1, comment: 'pass' } })).status).toBe(200);
    expect((await call('GET', '/v1/authorization', { token: lead })).body.data.role).toBe(3);

    const sub = await call('POST', '/v1/admin/user', { token: lead, body: registration('guard-1', false) });
    expect(sub.status).toBe(200);
    const reset = await call('PUT', `/v1/admin/user/${sub.body.data.id}/password`, { token: lead, body: { password: 'Reset1234' } });
    expect(reset.status).toBe(200);
    const guard = await login('guard-1', 'Reset1234');
    expect((await call('GET', '/v1/authorization', { token: guard })).body.data.role).toBe(2);

    const refreshed = await call('PUT', '/v1/authorization', { token: guard });
    expect(refreshed.status).toBe(200);
    expect((await call('GET', '/v1/authorization', { token: guard })).status).toBe(401);
    const guard2 = refreshed.body.token!;
    expect((await call('DELETE', '/v1/authorization', { token: guard2 })).status).toBe(200);
    expect((await call('GET', '/v1/authorization', { token: guard2 })).status).toBe(401);

    // Over a real socket the size limit and the 404 envelope hold too.
    const big = await oversizedPost(hub.url, '/v1/user', 1024 * 1024 + 1);
    expect(big).toMatch(/^HTTP\/1\.1 413 /);
    expect(big).toContain('{"code":413,');
    expect((await call('GET', '/v1/nowhere')).body).toEqual({ code: 404, message: expect.any(String) });

    kept.adminToken = admin;
    kept.bizAdminToken = lead;
    kept.revoked = [guard, guard2];
    kept.businessId = bid;
    kept.users = (await call('GET', '/v1/admin/user?pageSize=0', { token: admin })).body.data;
    kept.businesses = (await call('GET', '/v1/business?pageSize=0', { token: admin })).body.data;
    kept.business = (await call('GET', `/v1/business/id/${bid}`, { token: admin })).body.data;
    expect(kept.users).toHaveLength(3);
  });

  it('exits 0 on SIGTERM with everything on disk', async () => {
    expect(hub).toBeDefined();
    expect(await hub!.stop()).toBe(0);
    expect(hub!.stdout()).toMatch(/hub stopped; store flushed/);
    const doc = JSON.parse(await readFile(join(dataDir, 'hub.json'), 'utf8')) as { users: { user: string }[]; revocations: unknown[] };
    expect(doc.users.map((u) => u.user).sort()).toEqual(['admin', 'guard-1', 'ops-lead']);
    expect(doc.revocations).toHaveLength(2);
  });

  it('restarts on the same data: same users and business, revocations kept, live tokens valid, no admin banner', async () => {
    expect(kept.users).toHaveLength(3);
    hub = await startHub(env());
    const call = (m: string, p: string, o?: Parameters<typeof http>[3]) => http(hub!.url, m, p, o);
    try {
      expect(hub.stdout()).not.toMatch(/admin password/);
      expect(hub.stdout()).not.toMatch(/admin user:/);
      expect((await call('GET', '/v1/admin/user?pageSize=0', { token: kept.adminToken })).body.data).toEqual(kept.users);
      expect((await call('GET', '/v1/business?pageSize=0', { token: kept.adminToken })).body.data).toEqual(kept.businesses);
      expect((await call('GET', `/v1/business/id/${kept.businessId}`, { token: kept.adminToken })).body.data).toEqual(kept.business);
      for (const t of kept.revoked) expect((await call('GET', '/v1/authorization', { token: t })).status).toBe(401);
      const me = await call('GET', '/v1/authorization', { token: kept.bizAdminToken });
      expect(me.status).toBe(200);
      expect(me.body.data).toMatchObject({ displayName: 'ops-lead', role: 3 });
      expect((await call('POST', '/v1/authorization', { body: { user: 'guard-1', password: 'Reset1234' } })).status).toBe(200);
    } finally {
      expect(await hub.stop()).toBe(0);
    }
  });
});

describe('the hub refusing to start', () => {
  it('exits 1 with one stderr line naming a bad variable', async () => {
    const r = await runToExit({ ...env(), HUB_PORT: 'abc' });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/HUB_PORT/);
    expect(r.stdout).not.toMatch(/listening/);
  });

  it('exits 1 on a weak HUB_ADMIN_PASSWORD, saying why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-weak-'));
    try {
      const r = await runToExit({ ...env(), HUB_DATA_DIR: dir, HUB_ADMIN_PASSWORD: 'admin' });
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/HUB_ADMIN_PASSWORD.*8-20 characters/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 on a corrupt hub.json and leaves the file as it was', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-corrupt-'));
    try {
      const garbage = Buffer.from('{"schemaVersion":1,"users":[{"id":1,');
      await writeFile(join(dir, 'hub.json'), garbage);
      const r = await runToExit({ ...env(), HUB_DATA_DIR: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/hub\.json is not valid JSON/);
      expect(r.stderr).toMatch(/will not start/);
      expect(r.stdout).not.toMatch(/listening/);
      expect(Buffer.compare(await readFile(join(dir, 'hub.json')), garbage)).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
