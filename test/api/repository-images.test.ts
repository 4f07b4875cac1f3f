import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA } from '../../hub/src/registry/client.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { makeRepositoryHub, type RepositoryHub } from '../helpers/repository-hub.js';
import { seedRoles, type RoleFixture } from '../helpers/roles.js';

let reg: FakeRegistry;
let hub: RepositoryHub;
let roles: RoleFixture;
const ids: Record<string, number> = {};
const T = (iso: string) => Date.parse(iso) / 1000;

async function project(token: string, projectName: string, isPublic: boolean): Promise<number> {
  const r = await hub.call('POST', '/v1/repository/project', { token, body: { projectName, public: isPublic } });
  if (r.status !== 200) throw new Error(`create ${projectName}: ${r.status} ${r.body.message}`);
  return r.body.data.projectId as number;
}

beforeAll(async () => {
  reg = await new FakeRegistry({ catalogPage: 3 }).start();
  hub = await makeRepositoryHub({ registryUrl: reg.url });
  reg.key = hub.registryKey; // from here on the fake refuses anything but the hub's tokens, scoped right
  reg.now = hub.clock.now;
  roles = await seedRoles(hub);
  ids.alphaPriv = await project(roles.a.admin.token, 'alpha-priv', false);
  ids.alphaPub = await project(roles.a.admin.token, 'alpha-pub', true);
  ids.betaPriv = await project(roles.b.admin.token, 'beta-priv', false);
  ids.sys = await project(roles.sysAdmin.token, 'sys', false);
  reg.push('alpha-priv/cam', 'v1', '2026-01-01T00:00:00Z', MEDIA.dockerManifest, 'cam1');
  reg.push('alpha-priv/cam', 'v2', '2026-02-01T00:00:00Z', MEDIA.ociManifest, 'cam2');
  reg.push('alpha-priv/nvr', 'latest', '2025-06-01T00:00:00Z');
  const gone = reg.push('alpha-priv/gone', 'old', '2025-01-01T00:00:00Z');
  reg.repos.get('alpha-priv/gone')!.tags.delete('old'); // a deleted image: the repository stays, tagless
  void gone;
  reg.push('alpha-pub/web', '1.0', '2026-03-01T00:00:00Z');
  reg.push('beta-priv/x', 'v1', '2026-01-01T00:00:00Z');
  reg.push('alpha-privx/other', 'v1', '2026-01-01T00:00:00Z'); // a repository of no project
});
afterAll(async () => {
  await hub.cleanup();
  await reg.stop();
});

const ENDPOINTS: [string, string, unknown?][] = [
  ['GET', '/v1/repository/project'],
  ['POST', '/v1/repository/project', { projectName: 'p1', public: true }],
  ['DELETE', '/v1/repository/project', { projectId: [1] }],
  ['GET', '/v1/repository/image?projectName=alpha-priv'],
  ['DELETE', '/v1/repository/image', { imageName: ['alpha-priv/cam'] }],
  ['GET', '/v1/repository/image/tag?imageName=alpha-priv/cam'],
  ['DELETE', '/v1/repository/image/tag', { imageName: 'alpha-priv/cam', tag: ['v1'] }],
];

describe('auth', () => {
  it.each(ENDPOINTS)('%s %s answers 401 without a token', async (method, path, body) => {
    const r = await hub.call(method, path, { body });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe(401);
  });

  it.each(ENDPOINTS)('%s %s answers 403 to roles 0 and 1', async (method, path, body) => {
    for (const p of [roles.pending, roles.free]) {
      const r = await hub.call(method, path, { token: p.token, body });
      expect(r.status).toBe(403);
    }
  });
});

describe('GET /v1/repository/project', () => {
  const names = async (token: string, qs = '') => {
    const r = await hub.call('GET', `/v1/repository/project${qs}`, { token });
    expect(r.status).toBe(200);
    return r.body.data.map((p: { projectName: string }) => p.projectName);
  };

  it('shows public projects to all and private ones to their business and the system admin', async () => {
    expect(await names(roles.a.member.token)).toEqual(['alpha-priv', 'alpha-pub']);
    expect(await names(roles.b.member.token)).toEqual(['alpha-pub', 'beta-priv']);
    expect(await names(roles.sysAdmin.token)).toEqual(['alpha-priv', 'alpha-pub', 'beta-priv', 'sys']);
  });

  it('counts images from the registry (tagless repositories are not images)', async () => {
    const r = await hub.call('GET', '/v1/repository/project?projectName=alpha', { token: roles.a.member.token });
    expect(r.body).toMatchObject({ code: 200, total: 2 });
    expect(r.body.data[0]).toEqual({
      projectId: ids.alphaPriv,
      projectName: 'alpha-priv',
      public: false,
      businessId: roles.a.id,
      imageCount: 2,
      createTime: expect.any(Number),
      updateTime: expect.any(Number),
    });
    expect(r.body.data[1]).toMatchObject({ projectName: 'alpha-pub', imageCount: 1, public: true });
  });

  it('filters by publicity and pages', async () => {
    expect(await names(roles.sysAdmin.token, '?public=true')).toEqual(['alpha-pub']);
    expect(await names(roles.sysAdmin.token, '?public=false&orderBy=projectName&order=desc')).toEqual(['sys', 'beta-priv', 'alpha-priv']);
    const r = await hub.call('GET', '/v1/repository/project?pageSize=1&page=2', { token: roles.sysAdmin.token });
    expect(r.body.total).toBe(4);
    expect(r.body.data.map((p: { projectName: string }) => p.projectName)).toEqual(['alpha-pub']);
  });

  it.each(['?public=yes', '?orderBy=name', '?page=0', '?pageSize=-1', '?order=up'])('answers 422 for %s', async (qs) => {
    const r = await hub.call('GET', `/v1/repository/project${qs}`, { token: roles.a.member.token });
    expect(r.status).toBe(422);
  });
});

describe('POST /v1/repository/project', () => {
  it('lets business admins and the system admin create; members may not', async () => {
    const r = await hub.call('POST', '/v1/repository/project', { token: roles.a.member.token, body: { projectName: 'mine', public: true } });
    expect(r.status).toBe(403);
  });

  it('answers 409 for a name that exists, in any business', async () => {
    const r = await hub.call('POST', '/v1/repository/project', { token: roles.b.admin.token, body: { projectName: 'alpha-priv', public: true } });
    expect(r.status).toBe(409);
    expect(r.body.message).toMatch(/already exists/);
  });

  it.each([
    [{ projectName: 'Upper', public: true }, /lower-case/],
    [{ projectName: 'a b', public: true }, /projectName/],
    [{ projectName: '-lead', public: true }, /projectName/],
    [{ projectName: 'x'.repeat(64), public: true }, /at most 63/],
    [{ projectName: 'ok' }, /public is required/],
    [{ projectName: 'ok', public: 'yes' }, /public must be true or false/],
    [{ public: true }, /projectName is required/],
  ])('answers 422 for %j', async (body, message) => {
    const r = await hub.call('POST', '/v1/repository/project', { token: roles.a.admin.token, body });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
  });

  it('refuses private projects when the hub setting privateProject is off', async () => {
    const setting = (privateProject: boolean) => hub.call('PUT', '/v1/admin/settings', { token: roles.sysAdmin.token, body: { privateProject } });
    expect((await setting(false)).status).toBe(200);
    try {
      const r = await hub.call('POST', '/v1/repository/project', { token: roles.a.admin.token, body: { projectName: 'hidden', public: false } });
      expect(r.status).toBe(403);
      expect(r.body.message).toMatch(/private projects are disabled/);
    } finally {
      expect((await setting(true)).status).toBe(200);
    }
  });
});

describe('GET /v1/repository/image', () => {
  it('lists a project\'s images with address and times from the config blobs (default: by name, desc)', async () => {
    const r = await hub.call('GET', '/v1/repository/image?projectName=alpha-priv', { token: roles.a.member.token });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.data).toEqual([
      {
        projectName: 'alpha-priv',
        public: false,
        imageName: 'alpha-priv/nvr',
        imageAddress: `${new URL(reg.url).host}/alpha-priv/nvr`,
        tagCount: 1,
        createTime: T('2025-06-01T00:00:00Z'),
        updateTime: T('2025-06-01T00:00:00Z'),
      },
      {
        projectName: 'alpha-priv',
        public: false,
        imageName: 'alpha-priv/cam',
        imageAddress: `${new URL(reg.url).host}/alpha-priv/cam`,
        tagCount: 2,
        createTime: T('2026-01-01T00:00:00Z'),
        updateTime: T('2026-02-01T00:00:00Z'),
      },
    ]);
  });

  it('sorts by time, filters by name and pages', async () => {
    const get = async (qs: string) => (await hub.call('GET', `/v1/repository/image?${qs}`, { token: roles.a.member.token })).body;
    expect((await get('projectName=alpha-priv&orderBy=updateTime&order=desc')).data.map((i: { imageName: string }) => i.imageName)).toEqual([
      'alpha-priv/cam',
      'alpha-priv/nvr',
    ]);
    expect((await get('projectName=alpha-priv&imageName=CA')).data.map((i: { imageName: string }) => i.imageName)).toEqual(['alpha-priv/cam']);
    const p = await get('pageSize=1&page=3&order=asc');
    expect(p.total).toBe(3);
    expect(p.data.map((i: { imageName: string }) => i.imageName)).toEqual(['alpha-pub/web']);
  });

  it('without projectName lists every visible project\'s images', async () => {
    const r = await hub.call('GET', '/v1/repository/image?pageSize=0&order=asc', { token: roles.b.member.token });
    expect(r.body.data.map((i: { imageName: string }) => i.imageName)).toEqual(['alpha-pub/web', 'beta-priv/x']);
  });

  it('answers 404 for a private project of another business', async () => {
    const r = await hub.call('GET', '/v1/repository/image?projectName=alpha-priv', { token: roles.b.member.token });
    expect(r.status).toBe(404);
  });

  it.each(['projectName=Bad!', 'orderBy=size', 'order=up', 'pageSize=x'])('answers 422 for %s', async (qs) => {
    expect((await hub.call('GET', `/v1/repository/image?${qs}`, { token: roles.a.member.token })).status).toBe(422);
  });
});

describe('GET /v1/repository/image/tag', () => {
  it('lists tags with digest and build time', async () => {
    const r = await hub.call('GET', '/v1/repository/image/tag?imageName=alpha-priv/cam', { token: roles.a.member.token });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.data).toEqual([
      { tag: 'v1', digest: reg.repos.get('alpha-priv/cam')!.tags.get('v1'), imageAddress: `${new URL(reg.url).host}/alpha-priv/cam`, createTime: T('2026-01-01T00:00:00Z'), updateTime: T('2026-01-01T00:00:00Z') },
      { tag: 'v2', digest: reg.repos.get('alpha-priv/cam')!.tags.get('v2'), imageAddress: `${new URL(reg.url).host}/alpha-priv/cam`, createTime: T('2026-02-01T00:00:00Z'), updateTime: T('2026-02-01T00:00:00Z') },
    ]);
  });

  it('sorts by creation time and pages', async () => {
    const r = await hub.call('GET', '/v1/repository/image/tag?imageName=alpha-priv/cam&orderBy=createTime&order=desc&pageSize=1', { token: roles.a.member.token });
    expect(r.body.total).toBe(2);
    expect(r.body.data.map((t: { tag: string }) => t.tag)).toEqual(['v2']);
  });

  it('answers 404 for an unknown image, a tagless one, or one of another business\'s private project', async () => {
    for (const [token, name] of [
      [roles.a.member.token, 'alpha-priv/none'],
      [roles.a.member.token, 'alpha-priv/gone'],
      [roles.b.member.token, 'alpha-priv/cam'],
      [roles.a.member.token, 'alpha-privx/other'],
    ] as const) {
      expect((await hub.call('GET', `/v1/repository/image/tag?imageName=${name}`, { token })).status).toBe(404);
    }
  });

  it.each(['', 'imageName=cam', 'imageName=Alpha/cam', 'imageName=alpha-priv/cam&orderBy=size'])('answers 422 for "%s"', async (qs) => {
    expect((await hub.call('GET', `/v1/repository/image/tag?${qs}`, { token: roles.a.member.token })).status).toBe(422);
  });
});

describe('DELETE /v1/repository/image/tag', () => {
  it('deletes only the named tag, also when another tag shares its manifest', async () => {
    const digest = reg.push('alpha-priv/cam', 'same1', '2026-04-01T00:00:00Z', MEDIA.dockerManifest, 'shared');
    reg.put('alpha-priv/cam', 'same2', MEDIA.dockerManifest, reg.repos.get('alpha-priv/cam')!.manifests.get(digest)!.bytes);
    const r = await hub.call('DELETE', '/v1/repository/image/tag', { token: roles.a.admin.token, body: { imageName: 'alpha-priv/cam', tag: ['same1'] } });
    expect(r.status).toBe(200);
    expect(reg.tagsOf('alpha-priv/cam')).toEqual(['same2', 'v1', 'v2']);
    expect(reg.repos.get('alpha-priv/cam')!.tags.get('same2')).toBe(digest);
    expect(reg.seen.some((s) => s.method === 'DELETE' && s.path === `/v2/alpha-priv/cam/manifests/${digest}`)).toBe(true);
    await hub.call('DELETE', '/v1/repository/image/tag', { token: roles.a.admin.token, body: { imageName: 'alpha-priv/cam', tag: ['same2'] } });
    expect(reg.tagsOf('alpha-priv/cam')).toEqual(['v1', 'v2']);
  });

  it('refuses members (403), other businesses (404 private, 403 public) and unknown tags (404), deleting nothing', async () => {
    const del = (token: string, imageName: string, tag: string[]) => hub.call('DELETE', '/v1/repository/image/tag', { token, body: { imageName, tag } });
    expect((await del(roles.a.member.token, 'alpha-priv/cam', ['v1'])).status).toBe(403);
    expect((await del(roles.b.admin.token, 'alpha-priv/cam', ['v1'])).status).toBe(404);
    expect((await del(roles.b.admin.token, 'alpha-pub/web', ['1.0'])).status).toBe(403);
    const r = await del(roles.a.admin.token, 'alpha-priv/cam', ['v1', 'nope']);
    expect(r.status).toBe(404);
    expect(r.body.message).toMatch(/nope/);
    expect(reg.tagsOf('alpha-priv/cam')).toEqual(['v1', 'v2']);
    expect(reg.tagsOf('alpha-pub/web')).toEqual(['1.0']);
  });

  it.each([
    [{ imageName: 'alpha-priv/cam', tag: [] }, /tag must name at least one/],
    [{ imageName: 'alpha-priv/cam', tag: ['bad tag'] }, /tag must be/],
    [{ imageName: 'alpha-priv/cam', tag: 'v1' }, /tag must be a list/],
    [{ tag: ['v1'] }, /imageName is required/],
  ])('answers 422 for %j', async (body, message) => {
    const r = await hub.call('DELETE', '/v1/repository/image/tag', { token: roles.a.admin.token, body });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(message);
  });

  it('deletes a tag from the registry', async () => {
    const r = await hub.call('DELETE', '/v1/repository/image/tag', { token: roles.a.admin.token, body: { imageName: 'alpha-priv/cam', tag: ['v1'] } });
    expect(r.status).toBe(200);
    expect(reg.tagsOf('alpha-priv/cam')).toEqual(['v2']);
  });
});

describe('DELETE /v1/repository/image', () => {
  it('checks every name before deleting any', async () => {
    const r = await hub.call('DELETE', '/v1/repository/image', { token: roles.a.admin.token, body: { imageName: ['alpha-priv/nvr', 'alpha-priv/none'] } });
    expect(r.status).toBe(404);
    expect(reg.tagsOf('alpha-priv/nvr')).toEqual(['latest']);
    expect((await hub.call('DELETE', '/v1/repository/image', { token: roles.a.member.token, body: { imageName: ['alpha-priv/nvr'] } })).status).toBe(403);
  });

  it.each([{ imageName: [] }, { imageName: 'alpha-priv/nvr' }, { imageName: ['nvr'] }, {}])('answers 422 for %j', async (body) => {
    expect((await hub.call('DELETE', '/v1/repository/image', { token: roles.a.admin.token, body })).status).toBe(422);
  });

  it('deletes every manifest of the images', async () => {
    const r = await hub.call('DELETE', '/v1/repository/image', { token: roles.a.admin.token, body: { imageName: ['alpha-priv/nvr'] } });
    expect(r.status).toBe(200);
    expect(reg.tagsOf('alpha-priv/nvr')).toEqual([]);
    const p = await hub.call('GET', '/v1/repository/project?projectName=alpha-priv', { token: roles.a.admin.token });
    expect(p.body.data[0].imageCount).toBe(1);
  });
});

describe('DELETE /v1/repository/project', () => {
  it('refuses members (403), other businesses (404), unknown ids (404)', async () => {
    const del = (token: string, projectId: number[]) => hub.call('DELETE', '/v1/repository/project', { token, body: { projectId } });
    expect((await del(roles.a.member.token, [ids.alphaPub!])).status).toBe(403);
    expect((await del(roles.b.admin.token, [ids.alphaPriv!])).status).toBe(404);
    expect((await del(roles.b.admin.token, [ids.alphaPub!])).status).toBe(403);
    expect((await del(roles.a.admin.token, [ids.alphaPub!, 9999])).status).toBe(404);
    expect(hub.store.repoProjects.get(ids.alphaPub!)).toBeDefined();
  });

  it.each([{ projectId: [] }, { projectId: ['x'] }, { projectId: [0] }, { projectId: 1 }, {}])('answers 422 for %j', async (body) => {
    expect((await hub.call('DELETE', '/v1/repository/project', { token: roles.a.admin.token, body })).status).toBe(422);
  });

  it('deletes the project and its images', async () => {
    const r = await hub.call('DELETE', '/v1/repository/project', { token: roles.a.admin.token, body: { projectId: [ids.alphaPub] } });
    expect(r.status).toBe(200);
    expect(reg.tagsOf('alpha-pub/web')).toEqual([]);
    expect(hub.store.repoProjects.get(ids.alphaPub!)).toBeUndefined();
    expect((await hub.call('DELETE', '/v1/repository/project', { token: roles.sysAdmin.token, body: { projectId: [ids.betaPriv] } })).status).toBe(200);
    expect(reg.tagsOf('beta-priv/x')).toEqual([]);
  });
});

describe('registry not configured, down or hung: 503 within 5 s', () => {
  it('answers 503 naming HUB_REGISTRY_URL when it is unset', async () => {
    const bare = await makeRepositoryHub();
    try {
      const r0 = await seedRoles(bare);
      for (const [method, path, body] of ENDPOINTS) {
        const r = await bare.call(method, path, { token: r0.a.admin.token, body, allow5xx: true });
        expect(r.status, `${method} ${path}`).toBe(503);
        expect(r.body).toEqual({ code: 503, message: expect.stringMatching(/HUB_REGISTRY_URL/) });
      }
    } finally {
      await bare.cleanup();
    }
  });

  it('answers 503 at once when nothing listens', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const down = await makeRepositoryHub({ registryUrl: `http://127.0.0.1:${port}` });
    try {
      const admin = await down.login('admin', 'Admin12345');
      await down.call('POST', '/v1/repository/project', { token: admin, body: { projectName: 'p', public: true } });
      const t0 = Date.now();
      const r = await down.call('GET', '/v1/repository/project', { token: admin, allow5xx: true });
      expect(r.status).toBe(503);
      expect(r.body.message).toMatch(/unreachable/);
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      await down.cleanup();
    }
  });

  it('answers 503 within 5 s when the registry accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const srv = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const hung = await makeRepositoryHub({ registryUrl: `http://127.0.0.1:${(srv.address() as { port: number }).port}` });
    try {
      const admin = await hung.login('admin', 'Admin12345');
      await hung.call('POST', '/v1/repository/project', { token: admin, body: { projectName: 'p', public: true } });
      const t0 = Date.now();
      const r = await hung.call('GET', '/v1/repository/image?projectName=p', { token: admin, allow5xx: true });
      const ms = Date.now() - t0;
      expect(r.status).toBe(503);
      expect(r.body.message).toMatch(/no answer within/);
      expect(ms).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      srv.close();
      await hung.cleanup();
    }
  });
});
