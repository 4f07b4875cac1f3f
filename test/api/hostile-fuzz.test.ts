import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../hub/src/app.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { enrollNode } from '../helpers/fleet.js';
import { basic, makeRepositoryHub, type RepositoryHub } from '../helpers/repository-hub.js';
import { mintToken, registration, seedRoles, type RoleFixture } from '../helpers/roles.js';
import { storeSnapshot } from '../helpers/security-fixtures.js';

/**
 * Hostile input on every endpoint (docs/security.md): fast-check generates callers, path values,
 * query strings and bodies, many of them valid requests with one field made hostile (traversal,
 * "__proto__", huge numbers, control characters, wrong types). Whatever comes, the hub answers in
 * its envelope with a status under 500, and a refused request (4xx) changes nothing in the store.
 * Runs per endpoint: FUZZ_RUNS (default 60).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const CLUSTER = 'FuzzC';
const REG_PASSWORD = 'Regpass123';

let reg: FakeRegistry;
let hub: RepositoryHub;
let roles: RoleFixture;
const ids = { deployId: 0, appName: 'fcam', projectId: 0, image: 'fuzz-priv/x', repoId: 'fuzz-repo' };
let sent = 0;
let refused = 0;

beforeAll(async () => {
  reg = await new FakeRegistry().start();
  hub = await makeRepositoryHub({ registryUrl: reg.url });
  reg.key = hub.registryKey;
  reg.now = hub.clock.now;
  roles = await seedRoles(hub);
  // Nodes known but not connected: nothing waits on an agent's answer.
  for (const n of ['F1', 'F2']) await enrollNode(hub.ctx, CLUSTER, n);
  const a = roles.a.admin.token;
  const must = async (m: string, p: string, body: unknown, token = a) => {
    const r = await hub.call(m, p, { token, body });
    if (r.status !== 200) throw new Error(`${m} ${p}: ${r.body.message}`);
    return r.body.data;
  };
  await must('POST', '/v1/app', { appName: ids.appName, deployType: 'deployment', image: 'busybox:1', version: '1.0', port: [80], replicas: 2 });
  ids.deployId = (await must('POST', '/v1/deploy', { appName: ids.appName, version: '1.0', clusterName: [CLUSTER] }, roles.a.member.token)).id;
  ids.projectId = (await must('POST', '/v1/repository/project', { projectName: 'fuzz-priv', public: false })).projectId;
  reg.push(ids.image, 'v1', '2026-01-01T00:00:00Z');
  await must('POST', '/v1/repository/third', { repositoryId: ids.repoId, address: 'r.example:5000', user: 'puller', password: 'Pull-secret-1' });
  await must('POST', '/v1/repository/user', { user: 'fuzz-reg', password: REG_PASSWORD }, roles.a.member.token);
}, 60_000);

afterAll(async () => {
  // The closing note of issue 8 quotes these counts.
  process.stdout.write(`hostile-fuzz: ${sent} generated requests, ${refused} refused (4xx), 0 server errors\n`);
  await hub.cleanup();
  await reg.stop();
});

/** Strings that have broken servers: traversal in every spelling, prototype keys, numbers past every limit, control and bidi characters. */
const NASTY = [
  '../x', '..', '.', '%2e%2e', '%2e%2e%2f', '..%2f..%2fetc%2fpasswd', '..\\..\\windows', '/etc/passwd', 'a/../../b', '....//',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '', ' ', '\u0000', '\n', '\r\nX-Injected: 1', '\u202e', '\ud800', '😀', 'ǅ', 'A'.repeat(5000),
  '-1', '0', '1.5', '1e309', 'NaN', 'Infinity', '9007199254740993', '99999999999999999999', '0x10', '+1', ' 1',
  'null', 'true', '[]', '{}', '<script>alert(1)</script>', "' OR 1=1 --", '${jndi:ldap://x/a}', '%00', '%', '%zz',
  'admin', 'ns1', 'nginx:latest', 'GuangZhou', 'asc', 'desc', 'id', 'nodeName,isReady',
];
const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 2 ** 53 + 1, 1e308, [], {}) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Valid bodies, queries and path values per route: mutations of these reach past the first check. */
const forms = (): Record<string, { body?: Record<string, unknown>; query?: Record<string, string> }> => ({
  'POST /v1/authorization': { body: { user: 'admin', password: 'Wrong-pass1' } },
  'POST /v1/user': { body: registration('fuzzed-user', false) },
  'PUT /v1/user': { body: { oldPassword: 'Passw0rdX', password: 'Another123' } },
  'GET /v1/admin/user': { query: { page: '1', pageSize: '10', order: 'asc', orderBy: 'user_name' } },
  'POST /v1/admin/user': { body: { ...registration('fuzzed-sub', false), businessId: roles.a.id } },
  'PUT /v1/admin/user/:userId/password': { body: { password: 'Reset1234' } },
  'PUT /v1/admin/user/:userId': { body: { status: 1 } },
  'PUT /v1/admin/settings': { body: { enableAlert: true } },
  'POST /v1/business': { body: { name: 'Fuzzed', introduce: 'i', objective: 'o', scale: 's' } },
  'GET /v1/business': { query: { page: '1', pageSize: '0', orderBy: 'id', name: 'A' } },
  'PUT /v1/business/id/:id': { body: { status: 2, comment: 'fuzz' } },
  'GET /v1/cluster': { query: { clusterLabel: 'x', page: '1', pageSize: '0' } },
  'POST /v1/cluster/label': { body: { clusterLabel: 'fz', clusterName: [CLUSTER] } },
  'DELETE /v1/cluster/label': { body: { clusterLabel: 'fz', clusterName: [CLUSTER] } },
  'GET /v1/cluster/label/:clusterName': { query: { page: '1', pageSize: '10' } },
  'POST /v1/cluster/token': { body: { clusterName: CLUSTER, ttlSeconds: 600 } },
  'GET /v1/node': { query: { clusterName: CLUSTER, nodeName: 'F1', nodeLabel: 'fz', field: 'nodeName,isReady', page: '1', pageSize: '10' } },
  'POST /v1/node/label': { body: { nodeLabel: 'fz', clusterName: CLUSTER, nodeName: ['F1'] } },
  'DELETE /v1/node/label': { body: { nodeLabel: 'fz', clusterName: CLUSTER, nodeName: ['F1'], deleteDeploy: false } },
  'GET /v1/node/label': { query: { clusterName: CLUSTER } },
  'DELETE /v1/node/:nodeName': { query: { clusterName: CLUSTER } },
  'POST /v1/app': {
    body: {
      appName: 'fuzzapp', deployType: 'deployment', image: 'busybox:1', version: '1.0', port: [{ containerPort: 80, hostPort: 8080 }],
      command: ['sh', '-c', 'sleep 1'], volume: ['data:/data:ro'], env: ['A=1'], replicas: 1, maxMemory: 64, minMemory: 16, maxCPU: 50,
    },
  },
  'GET /v1/app': { query: { page: '1', pageSize: '10', orderBy: 'appName', order: 'desc', appName: 'f' } },
  'GET /v1/app/:appName': { query: { businessId: String(roles.a.id) } },
  'POST /v1/deploy': { body: { appName: ids.appName, version: '1.0', clusterName: [CLUSTER], nodeLabel: 'fz', comment: 'c' } },
  'GET /v1/deploy': { query: { page: '1', pageSize: '10', appName: ids.appName } },
  'PUT /v1/deploy/:id': { body: { status: 2, auditComment: 'no' } },
  'GET /v1/deploy/:id/log': { query: { nodeName: 'F1', tail: '10' } },
  'GET /v1/alert': { query: { page: '1', pageSize: '10', clusterName: CLUSTER } },
  'GET /v1/repository/project': { query: { page: '1', pageSize: '10', orderBy: 'projectName', projectName: 'fuzz', public: 'false' } },
  'POST /v1/repository/project': { body: { projectName: 'fuzz-new', public: true } },
  'DELETE /v1/repository/project': { body: { projectId: [ids.projectId] } },
  'GET /v1/repository/image': { query: { projectName: 'fuzz-priv', imageName: 'x', orderBy: 'createTime', page: '1', pageSize: '10' } },
  'DELETE /v1/repository/image': { body: { imageName: [ids.image] } },
  'GET /v1/repository/image/tag': { query: { imageName: ids.image, orderBy: 'tag', page: '1', pageSize: '10' } },
  'DELETE /v1/repository/image/tag': { body: { imageName: ids.image, tag: ['v1'] } },
  'POST /v1/repository/user': { body: { user: 'fuzz-reg2', password: REG_PASSWORD } },
  'PUT /v1/repository/user': { body: { password: 'Regpass456' } },
  'POST /v1/repository/third': { body: { repositoryId: 'fuzz-repo2', address: 'https://r.example/v2', user: 'u', password: 'p' } },
  'POST /v1/repository': { body: { repositoryId: 'fuzz-repo3', address: 'r.example', user: 'u', password: 'p' } },
  'DELETE /v1/repository/third': { body: { repositoryId: [ids.repoId] } },
  'DELETE /v1/repository': { body: { repositoryId: [ids.repoId] } },
  'GET /v1/repository/third': { query: { page: '1', pageSize: '10', orderBy: 'id' } },
  'GET /v1/registry/token': { query: { service: 'vsm-registry', scope: `repository:${ids.image}:pull`, account: 'fuzz-reg', client_id: 'docker' } },
  'GET /v1/events': { query: { token: 'x', lastEventId: '1' } },
});

/** Valid values of path parameters. */
const params = (): Record<string, string[]> => ({
  userId: [String(roles.a.member.id), String(roles.b.member.id), '1'],
  id: [String(ids.deployId), String(roles.a.id), String(roles.b.id)],
  appName: [ids.appName],
  clusterName: [CLUSTER],
  nodeName: ['F1', 'F2'],
  repoId: [ids.repoId],
  file: ['app.js', 'style.css', 'swagger-ui.css'],
});

/**
 * Callers: no token, garbage, an unsigned token, Basic credentials, or a user of each role. User
 * tokens are minted per request: generated logouts, refreshes, resets and deletions end sessions.
 */
const CALLERS = ['none', 'garbage', 'Bearer ', 'unsigned', 'sys', 'aAdmin', 'aMember', 'pending', 'free', 'basic', 'basicWrong'] as const;
type CallerName = (typeof CALLERS)[number];

async function tokenOf(c: CallerName): Promise<string | undefined> {
  const user = { sys: roles.sysAdmin, aAdmin: roles.a.admin, aMember: roles.a.member, pending: roles.pending, free: roles.free }[c as 'sys'];
  if (user) {
    const token = hub.ctx.store.users.get(user.id) ? await mintToken(hub, user.id) : 'deleted-user';
    return c === 'aAdmin' ? `Bearer ${token}` : token;
  }
  return { none: undefined, garbage: 'garbage', 'Bearer ': 'Bearer ', unsigned: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwidWlkIjoxfQ.', basic: basic('fuzz-reg', REG_PASSWORD), basicWrong: basic('fuzz-reg', 'Wrong-pass1') }[
    c as 'none'
  ];
}

/** Percent-encodes any bytes, so also invalid UTF-8 (%ff) and lone surrogates reach the router. */
const pctBytes = (b: Buffer) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('');
const pct = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return pctBytes(Buffer.from(s, 'utf8'));
  }
};

/** One generated request for a route. */
function requestFor(route: string) {
  const [method, pattern] = route.split(' ') as [string, string];
  const form = forms()[route] ?? {};
  const names = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const pathArb = fc.tuple(...names.map((n) => fc.oneof(fc.constantFrom(...(params()[n] ?? ['1'])), hostileString.map(pct), fc.uint8Array({ maxLength: 12 }).map((b) => pctBytes(Buffer.from(b))), fc.constantFrom(...NASTY)))).map((values) => {
    let p = pattern;
    names.forEach((n, i) => (p = p.replace(`:${n}`, values[i] ?? '')));
    return p;
  });
  const queryArb = fc
    .tuple(
      fc.array(fc.tuple(fc.boolean(), hostileString), { minLength: Object.keys(form.query ?? {}).length, maxLength: Object.keys(form.query ?? {}).length }),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...Object.keys(form.query ?? {}), 'page', 'pageSize', '__proto__'), hostileString), hostileString), { maxLength: 3 }),
    )
    .map(([keep, extra]) => {
      const q = new URLSearchParams();
      Object.entries(form.query ?? {}).forEach(([k, v], i) => q.append(k, keep[i]![0] ? v : keep[i]![1]));
      for (const [k, v] of extra) q.append(k, v);
      return q.toString();
    });
  const template = form.body ?? {};
  const bodyArb: fc.Arbitrary<string | undefined> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom(...Object.keys(template), 'extra', '__proto__'), fc.option(hostileValue, { nil: undefined })), { minLength: 1, maxLength: 3 })
        .map((edits) => {
          const b: Record<string, unknown> = structuredClone(template);
          let text = '';
          for (const [k, v] of edits) {
            if (k === '__proto__') text = `"__proto__":${JSON.stringify(v ?? { isAdmin: true, role: 4 })}`;
            else if (v === undefined) delete b[k];
            else b[k] = v;
          }
          const json = JSON.stringify(b);
          return text ? `{${text}${json.length > 2 ? ',' : ''}${json.slice(1)}` : json;
        }),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.record({
    method: fc.constant(method),
    path: pathArb,
    query: queryArb,
    body: method === 'GET' ? fc.constant(undefined) : bodyArb,
    caller: fc.constantFrom(...CALLERS),
    contentType: fc.constantFrom('application/json', 'text/plain', undefined),
  });
}

interface Sent {
  status: number;
  contentType: string;
  text: string;
}

/** Sends one request through app.request; an event stream that opens is closed at once. */
async function send(r: { method: string; path: string; query: string; body: string | undefined; caller: CallerName; contentType: string | undefined }): Promise<Sent> {
  const headers: Record<string, string> = {};
  const token = await tokenOf(r.caller);
  if (token !== undefined) headers.authorization = token;
  if (r.contentType && r.body !== undefined) headers['content-type'] = r.contentType;
  const url = `${r.path}${r.query ? `?${r.query}` : ''}`;
  const res = await hub.app.request(url, { method: r.method, headers, body: r.body }, { incoming: { socket: { remoteAddress: '127.0.0.7' } } });
  const contentType = res.headers.get('content-type') ?? '';
  if (contentType.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, contentType, text: '' };
  }
  return { status: res.status, contentType, text: await res.text() };
}

/** Waits for work a previous request started (controller ticks, writes), so the snapshot is still. */
async function settle(): Promise<void> {
  await hub.ctx.workloads.tick();
  await hub.store.flush();
}

describe('names with path traversal and "__proto__" keys', () => {
  const sys = () => roles.sysAdmin.token;
  const aAdmin = () => roles.a.admin.token;
  const app = (over: Record<string, unknown>) => ({ appName: 'trav', deployType: 'deployment', image: 'busybox:1', version: '1.0', port: [], ...over });
  const proto = (json: Record<string, unknown>) => `{"__proto__":{"isAdmin":true,"isSystemAdmin":true},${JSON.stringify(json).slice(1)}`;
  const cases: [string, string, string, () => string, string | undefined][] = [
    ['appName ../x', 'POST', '/v1/app', aAdmin, JSON.stringify(app({ appName: '../x' }))],
    ['appName %2e%2e', 'POST', '/v1/app', aAdmin, JSON.stringify(app({ appName: '%2e%2e' }))],
    ['appName __proto__', 'POST', '/v1/app', aAdmin, JSON.stringify(app({ appName: '__proto__' }))],
    ['image a/../b', 'POST', '/v1/app', aAdmin, JSON.stringify(app({ image: 'library/../../b:1' }))],
    ['volume source /data/../etc', 'POST', '/v1/app', aAdmin, JSON.stringify(app({ volume: ['/data/../etc:/x'] }))],
    ['volume target /x/../y', 'POST', '/v1/app', aAdmin, JSON.stringify(app({ volume: [{ source: 'v', target: '/x/../y' }] }))],
    ['app body with __proto__', 'POST', '/v1/app', aAdmin, proto(app({}))],
    ['deploy clusterName ../x', 'POST', '/v1/deploy', aAdmin, JSON.stringify({ appName: ids.appName, version: '1.0', clusterName: ['../x'] })],
    ['deploy nodeLabel ../x', 'POST', '/v1/deploy', aAdmin, JSON.stringify({ appName: ids.appName, version: '1.0', clusterName: [CLUSTER], nodeLabel: '../x' })],
    ['GET app %2e%2e', 'GET', '/v1/app/%2e%2e', aAdmin, undefined],
    ['GET app ..%2F..%2Fetc', 'GET', '/v1/app/..%2F..%2Fetc', aAdmin, undefined],
    ['cluster label of ..', 'POST', '/v1/cluster/label', sys, JSON.stringify({ clusterLabel: 'ok', clusterName: ['..'] })],
    ['cluster label ../x', 'POST', '/v1/cluster/label', sys, JSON.stringify({ clusterLabel: '../x', clusterName: [CLUSTER] })],
    ['labels of cluster %2e%2e', 'GET', '/v1/cluster/label/%2e%2e', sys, undefined],
    ['join token for ../x', 'POST', '/v1/cluster/token', sys, JSON.stringify({ clusterName: '../x' })],
    ['join token body with __proto__', 'POST', '/v1/cluster/token', sys, proto({ clusterName: CLUSTER })],
    ['node label nodeName ../../etc', 'POST', '/v1/node/label', sys, JSON.stringify({ nodeLabel: 'ok', clusterName: CLUSTER, nodeName: ['../../etc'] })],
    ['delete node %2e%2e', 'DELETE', `/v1/node/%2e%2e?clusterName=${CLUSTER}`, sys, undefined],
    ['delete node in cluster ../x', 'DELETE', '/v1/node/F1?clusterName=..%2Fx', sys, undefined],
    ['user ../x', 'POST', '/v1/user', sys, JSON.stringify(registration('../x', false))],
    ['user __proto__', 'POST', '/v1/user', sys, JSON.stringify(registration('__proto__', false))],
    ['registration with __proto__', 'POST', '/v1/user', sys, proto(registration('proto-user', true))],
    ['business name ../x', 'POST', '/v1/business', () => roles.free.token, JSON.stringify({ name: '../x', introduce: 'i', objective: 'o', scale: 's' })],
    ['business name __proto__', 'POST', '/v1/business', () => roles.free.token, JSON.stringify({ name: '__proto__', introduce: 'i', objective: 'o', scale: 's' })],
    ['project ../x', 'POST', '/v1/repository/project', aAdmin, JSON.stringify({ projectName: '../x', public: true })],
    ['project __proto__', 'POST', '/v1/repository/project', aAdmin, JSON.stringify({ projectName: '__proto__', public: true })],
    ['image name a/../b', 'DELETE', '/v1/repository/image', aAdmin, JSON.stringify({ imageName: ['fuzz-priv/../x'] })],
    ['tags of ../x', 'GET', '/v1/repository/image/tag?imageName=..%2Fx', aAdmin, undefined],
    ['tag ../x', 'DELETE', '/v1/repository/image/tag', aAdmin, JSON.stringify({ imageName: ids.image, tag: ['../x'] })],
    ['external repository ../x', 'POST', '/v1/repository/third', aAdmin, JSON.stringify({ repositoryId: '../x', address: 'r.example', user: 'u', password: 'p' })],
    ['external repository %2e%2e', 'GET', '/v1/repository/third/%2e%2e', aAdmin, undefined],
    ['registry account ../x', 'POST', '/v1/repository/user', () => roles.b.member.token, JSON.stringify({ user: '../x', password: REG_PASSWORD })],
  ];

  it.each(cases)('%s: refused, nothing changed', async (_, method, path, token, body) => {
    await settle();
    const before = storeSnapshot(hub.store);
    const r = await hub.call(method, path, { token: token(), ...(body === undefined ? {} : { rawBody: body }) });
    // A whole "%2e%2e" segment is a dot segment to URL parsing: the request names another path (404).
    if (/\/%2e%2e(\?|$)/.test(path)) expect(r.status, r.body.message).toBe(404);
    else expect(r.status, r.body.message).toBe(422);
    await settle();
    expect(storeSnapshot(hub.store)).toBe(before);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('static files are served from their allow-lists only', async () => {
    for (const path of ['/dashboard/..%2Fdashboard%2Fapp.js', '/dashboard/..%2F..%2Fpackage.json', '/docs/..%2F..%2Fpackage.json', '/docs/%2e%2e%2fpackage.json', '/dashboard/..%5C..%5Cpackage.json']) {
      const res = await hub.app.request(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('"dependencies"');
    }
  });
});

describe('bodies over 1 MiB', () => {
  it('every route that reads a body answers 413 and changes nothing', async () => {
    const routes = [...new Set(hub.app.routes.filter((r) => r.method !== 'ALL' && r.method !== 'GET').map((r) => `${r.method} ${r.path}`))];
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
    for (const route of routes) {
      const [method, pattern] = route.split(' ') as [string, string];
      const path = pattern.replace(/:\w+/g, '1');
      for (const declared of [true, false]) {
        await settle();
        const before = storeSnapshot(hub.store);
        const res = await hub.app.request(path, { method, body: big, headers: { authorization: roles.sysAdmin.token, ...(declared ? { 'content-length': String(big.length) } : {}) } });
        expect(res.status, `${route} (content-length ${declared})`).toBe(413);
        expect(await res.json()).toEqual({ code: 413, message: `body must be at most ${MAX_BODY_BYTES} bytes` });
        expect(storeSnapshot(hub.store)).toBe(before);
      }
    }
  });
});

describe('every endpoint under generated hostile input', () => {
  const routes = () => [...new Set(hub.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];

  it('the app serves the routes this test knows forms for (none forgotten)', () => {
    const noBody = new Set(['PUT /v1/authorization', 'DELETE /v1/authorization', 'DELETE /v1/authorizations', 'DELETE /v1/admin/user/:userId', 'DELETE /v1/business/id/:id', 'DELETE /v1/app/:appName', 'DELETE /v1/deploy/:id', 'DELETE /v1/node/:nodeName']);
    const withInput = routes().filter((r) => !r.startsWith('GET') && !noBody.has(r));
    expect(withInput.filter((r) => !(r in forms())), 'routes with a body but no form here').toEqual([]);
  });

  it('answers every generated request under 500, in the envelope, and a refused one changes nothing', async () => {
    const list = routes();
    expect(list.length).toBeGreaterThan(50);
    for (const route of list) {
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (req) => {
          try {
            new URL(`http://x${req.path}`);
          } catch {
            fc.pre(false); // not a request a client could send
          }
          await settle();
          const before = storeSnapshot(hub.store);
          const writes = hub.store.writes;
          const res = await send(req);
          sent++;
          const where = `${route} -> ${req.method} ${req.path}?${req.query} body=${String(req.body).slice(0, 200)}: ${res.status} ${res.text.slice(0, 200)}`;
          expect(res.status, where).toBeLessThan(500);
          // Every JSON answer is the envelope, except the OpenAPI document itself when it is served.
          if (res.contentType.startsWith('application/json') && !(route === 'GET /v1/openapi.json' && res.status === 200)) {
            const env = JSON.parse(res.text) as { code: number; message: string };
            expect(env.code, where).toBe(res.status);
            expect(env.message, where).toEqual(expect.any(String));
            expect(env.message, where).not.toMatch(/at .*\.(ts|js):\d+/);
          }
          if (res.status >= 400) {
            refused++;
            await settle();
            expect(storeSnapshot(hub.store), `refused but changed the store: ${where}`).toBe(before);
            expect(hub.store.writes, where).toBe(writes);
          }
        }),
        { numRuns: RUNS },
      );
    }
  }, 300_000);
});
