import { readFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/src/log.js';
import { appBody, makeAppHub, type AppHub } from '../helpers/apps.js';
import type { TestHub } from '../helpers/hub.js';
import type { RoleFixture } from '../helpers/roles.js';

// PUT /v1/admin/settings is ours: the document's GET /v1/authorization reports the hub settings,
// and nothing else could change them short of editing hub.json.
let f: AppHub;
let hub: TestHub;
let roles: RoleFixture;
const DEFAULTS = { privateProject: true, enableIngress: false, enableAlert: true, enableAdminAutoDeploy: true };
const put = (body: unknown, token = roles.sysAdmin.token) => hub.call('PUT', '/v1/admin/settings', { token, body });

beforeAll(async () => {
  f = await makeAppHub();
  ({ hub, roles } = f);
});
afterAll(() => hub.cleanup());

describe('who may read and change the hub settings', () => {
  const others = () => [roles.pending, roles.free, roles.a.member, roles.a.admin];

  it('the system admin reads them', async () => {
    const r = await hub.call('GET', '/v1/admin/settings', { token: roles.sysAdmin.token });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual(DEFAULTS);
  });

  it('nobody else may read or change them (403), and a refused change changes nothing', async () => {
    for (const p of others()) {
      expect((await hub.call('GET', '/v1/admin/settings', { token: p.token })).status).toBe(403);
      const r = await put({ enableAlert: false }, p.token);
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ code: 403, message: expect.stringContaining('settings.write') });
    }
    expect(hub.store.settings()).toEqual(DEFAULTS);
  });

  it('without a token: 401', async () => {
    expect((await hub.call('GET', '/v1/admin/settings')).status).toBe(401);
    expect((await hub.call('PUT', '/v1/admin/settings', { body: { enableAlert: false } })).status).toBe(401);
  });
});

describe('PUT /v1/admin/settings: bad input', () => {
  it.each([
    [{}, /at least one of privateProject/],
    [{ enableAlert: 'no' }, /enableAlert must be true or false/],
    [{ enableAlert: 0 }, /enableAlert must be true or false/],
    [{ enableAlert: null }, /enableAlert must be true or false/],
    [{ enableAlerts: false }, /enableAlerts/],
    [{ enableAlert: true, extra: 1 }, /extra/],
  ])('answers 422 for %j and changes nothing', async (body, message) => {
    const r = await put(body);
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ code: 422, message: expect.stringMatching(message) });
    expect(hub.store.settings()).toEqual(DEFAULTS);
  });

  it.each([
    ['not JSON', '{enableAlert: false', /valid JSON/],
    ['an array', '[{"enableAlert": false}]', /JSON object/],
    ['a __proto__ key', '{"__proto__": {"enableAlert": false}}', /__proto__/],
  ])('answers 422 for %s', async (_, rawBody, message) => {
    const r = await hub.call('PUT', '/v1/admin/settings', { token: roles.sysAdmin.token, rawBody, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
    expect(hub.store.settings()).toEqual(DEFAULTS);
  });
});

describe('PUT /v1/admin/settings: a change', () => {
  it('answers every setting, shows in everyone\'s GET /v1/authorization and is saved in hub.json', async () => {
    const r = await put({ enableAdminAutoDeploy: false });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ ...DEFAULTS, enableAdminAutoDeploy: false });
    const me = await hub.call('GET', '/v1/authorization', { token: roles.a.member.token });
    expect(me.body.data).toMatchObject({ ...DEFAULTS, enableAdminAutoDeploy: false });
    await hub.store.flush();
    const saved = JSON.parse(await readFile(join(hub.dir, 'hub.json'), 'utf8')) as { settings: unknown };
    expect(saved.settings).toEqual({ ...DEFAULTS, enableAdminAutoDeploy: false });
  });

  it('takes effect at once: with enableAdminAutoDeploy off, a business admin\'s deploy waits for audit', async () => {
    expect((await hub.call('POST', '/v1/app', { token: roles.a.admin.token, body: appBody({ appName: 'held' }) })).status).toBe(200);
    const d = await hub.call('POST', '/v1/deploy', { token: roles.a.admin.token, body: { appName: 'held', version: '1.2', clusterName: ['GuangZhou'] } });
    expect(d.status).toBe(200);
    expect(d.body.data.status).toBe(0);
    expect((await put({ enableAdminAutoDeploy: true })).body.data).toEqual(DEFAULTS);
    const d2 = await hub.call('POST', '/v1/deploy', { token: roles.a.admin.token, body: { appName: 'held', version: '1.2', clusterName: ['BeiJing'] } });
    expect(d2.body.data.status).toBe(1);
  });

  it('logs who changed what, and nothing when nothing changed', async () => {
    const lines: string[] = [];
    const saved = hub.ctx.log;
    (hub.ctx as { log: typeof saved }).log = createLogger({ level: 'info', name: 'hub', write: (l) => lines.push(l) });
    try {
      await put({ enableAlert: false, privateProject: true });
      await put({ enableAlert: false });
    } finally {
      (hub.ctx as { log: typeof saved }).log = saved;
      await put({ enableAlert: true });
    }
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'hub settings changed');
    expect(logged).toEqual([expect.objectContaining({ by: roles.sysAdmin.id, enableAlert: false })]);
    expect(logged[0]).not.toHaveProperty('privateProject');
  });

  it('answers 503 when the hub cannot save it, and the setting stays as it was', async () => {
    await rm(hub.dir, { recursive: true, force: true });
    try {
      const r = await hub.call('PUT', '/v1/admin/settings', { token: roles.sysAdmin.token, body: { enableAlert: false }, allow5xx: true });
      expect(r.status).toBe(503);
      expect(r.body.message).toMatch(/cannot save/);
      expect(hub.store.settings()).toEqual(DEFAULTS);
    } finally {
      await mkdir(hub.dir, { recursive: true });
    }
    expect((await put({ enableAlert: false })).status).toBe(200);
    expect((await put({ enableAlert: true })).body.data).toEqual(DEFAULTS);
  });
});
