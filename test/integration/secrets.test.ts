/**
 * Secrets (docs/security.md): a full run of a real hub and a real agent at debug level (users,
 * logins, refreshes, password changes and resets, a failed login, a refused weak password, an
 * external repository with a password, a registry account, a join token, an enrolled agent, a
 * deployment that sends the pull credentials to it, the event stream with ?token=). Afterwards no
 * log line and no data file holds a password, token, credential or key, except the files meant
 * for them: every secret file is mode 0600 in a 0700 directory. Also: security headers on the
 * dashboard and the API, and no CORS (the hub has no CORS setting, so no origin is ever allowed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedLine, startAgent, startHub } from '../helpers/live-hub.js';
import { assertBuilt, pollUntil, ProcessGroup, type Child } from '../helpers/processes.js';
import { filesUnder } from '../helpers/security-fixtures.js';

const CLUSTER = 'secrets';
const NODE = 'secrets-node';
/** Strong passwords, random per run: a match can only come from this run. */
const pw = (tag: string) => `${tag}Q7${randomBytes(5).toString('hex')}`;
const P = {
  admin: pw('Adm'),
  owner: pw('Own'),
  ownerChanged: pw('Chg'),
  sub: pw('Sub'),
  subReset: pw('Rst'),
  wrong: pw('Wrg'),
  weak: `weak${randomBytes(5).toString('hex')}`,
  external: pw('Ext'),
  account: pw('Acc'),
};

const group = new ProcessGroup();
let root: string;
let hubDir: string;
let agentDir: string;
let base: string;
let hub: Child;
let agent: Child;
/** Every token the hub issued in this run (user tokens, the join token). */
const tokens: string[] = [];
const answers: string[] = [];

async function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(base + path, { method, headers: token ? { authorization: token } : {}, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  answers.push(text);
  return { status: r.status, body: JSON.parse(text) };
}

async function login(user: string, password: string): Promise<string> {
  const r = await call('POST', '/v1/authorization', undefined, { user, password });
  expect(r.status, r.body.message).toBe(200);
  tokens.push(r.body.token);
  return r.body.token as string;
}

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'vsm-secrets-'));
  hubDir = join(root, 'hub');
  agentDir = join(root, 'agent');
  ({ child: hub, url: base } = await startHub(group, { dataDir: hubDir, startTimeoutMs: 20_000, env: { HUB_ADMIN_PASSWORD: P.admin, HUB_LOG_LEVEL: 'debug' } }));

  const admin = await login('admin', P.admin);
  // A refreshed token replaces the first one; both are secrets.
  const refreshed = await call('PUT', '/v1/authorization', admin);
  expect(refreshed.status).toBe(200);
  const adminToken = (refreshed.body.token ?? refreshed.body.data?.token) as string;
  tokens.push(adminToken);

  expect((await call('POST', '/v1/authorization', undefined, { user: 'admin', password: P.wrong })).status).toBe(401);
  expect((await call('POST', '/v1/user', undefined, { user: 'weakling', password: P.weak, phone: '12345678', realName: 'W', isAdmin: false })).status).toBe(422);

  const reg = await call('POST', '/v1/user', undefined, { user: 'owner', password: P.owner, phone: '12345678', realName: 'Owner', isAdmin: true });
  expect(reg.status, reg.body.message).toBe(200);
  expect((await call('PUT', `/v1/admin/user/${reg.body.data.id}`, adminToken, { status: 1 })).status).toBe(200);
  let owner = await login('owner', P.owner);
  const biz = await call('POST', '/v1/business', owner, { name: 'biz-secrets', introduce: 'cams', objective: 'watch', scale: 'small' });
  expect(biz.status, biz.body.message).toBe(200);
  expect((await call('PUT', `/v1/business/id/${biz.body.data.id}`, adminToken, { status: 1, comment: 'ok' })).status).toBe(200);
  owner = await login('owner', P.owner);
  expect((await call('PUT', '/v1/user', owner, { oldPassword: P.owner, password: P.ownerChanged })).status).toBe(200);
  owner = await login('owner', P.ownerChanged);

  const sub = await call('POST', '/v1/admin/user', owner, { user: 'viewer', password: P.sub, phone: '12345678', realName: 'Viewer', isAdmin: false });
  expect(sub.status, sub.body.message).toBe(200);
  await login('viewer', P.sub);
  expect((await call('PUT', `/v1/admin/user/${sub.body.data.id}/password`, owner, { password: P.subReset })).status).toBe(200);
  const viewer = await login('viewer', P.subReset);
  expect((await call('DELETE', '/v1/authorization', viewer)).status).toBe(200);

  const ext = await call('POST', '/v1/repository/third', owner, { repositoryId: 'private', address: 'registry.example.com:5000', user: 'puller', password: P.external });
  expect(ext.status, ext.body.message).toBe(200);
  // Without HUB_REGISTRY_URL the account may be refused (503); the password travelled all the same.
  expect([200, 503]).toContain((await call('POST', '/v1/repository/user', owner, { user: 'pusher', password: P.account })).status);

  const joined = await call('POST', '/v1/cluster/token', adminToken, { clusterName: CLUSTER });
  expect(joined.status).toBe(200);
  tokens.push(joined.body.data.token);
  agent = startAgent(group, { hubUrl: base, token: joined.body.data.token, nodeName: NODE, dataDir: agentDir, env: { AGENT_LOG_LEVEL: 'debug' } });
  await agent.waitForLine(connectedLine(NODE, CLUSTER), 20_000);

  const app = { appName: 'cam', deployType: 'deployment', image: 'registry.example.com:5000/cams/cam:1', version: '1.0', repositoryId: 'private', port: [], replicas: 1 };
  expect((await call('POST', '/v1/app', owner, app)).status).toBe(200);
  expect((await call('POST', '/v1/deploy', owner, { appName: 'cam', version: '1.0', clusterName: [CLUSTER] })).status).toBe(200);
  // The node got the pull credentials of its workload (it keeps them to pull without the hub).
  await pollUntil(() => readFile(join(agentDir, 'desired.json'), 'utf8').catch(() => ''), (t) => t.includes('pullAuth'), 15_000, 100);

  // The event stream takes its token in the query; the request log must not keep it.
  const events = new AbortController();
  const sse = await fetch(`${base}/v1/events?token=${encodeURIComponent(owner)}`, { signal: events.signal });
  expect(sse.status).toBe(200);
  events.abort();

  for (const path of ['/v1/authorization', '/v1/admin/user?pageSize=0', '/v1/repository/third', '/v1/repository/third/private', '/v1/app/cam', '/v1/deploy']) {
    expect((await call('GET', path, owner)).status, path).toBe(200);
  }
  expect((await call('GET', `/v1/node?clusterName=${CLUSTER}`, adminToken)).status).toBe(200);
  // Stopped cleanly: the hub flushes its store and both have logged all they will.
  expect(await agent.stop('SIGTERM')).toMatchObject({ code: 0 });
  expect(await hub.stop('SIGTERM')).toMatchObject({ code: 0 });
}, 120_000);

afterAll(async () => {
  await group.killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('secrets', () => {
  it('no log line of the hub or the agent holds a password, token, credential or key', async () => {
    const identity = JSON.parse(await readFile(join(agentDir, 'identity.json'), 'utf8')) as { credential: string };
    const keys = await Promise.all(['jwt.key', 'repository-secret.key', 'registry-token.key'].map((f) => readFile(join(hubDir, f), 'utf8')));
    const keyLines = keys.flatMap((k) => k.split('\n').filter((l) => l.length >= 20 && !l.startsWith('-----')));
    const secrets = [...Object.values(P), ...tokens, identity.credential, identity.credential.split('.').at(-1)!, ...keyLines];
    // The logs are at debug level and recorded this run's requests and the agent's work.
    expect(hub.lines.some((l) => l.includes('"level":"debug"'))).toBe(true);
    expect(agent.lines.some((l) => l.includes('enrolled'))).toBe(true);
    for (const msg of ['password reset', 'user created', 'agent connected']) expect(hub.lines.some((l) => l.includes(msg)), msg).toBe(true);
    for (const [who, lines] of [['hub', hub.lines], ['agent', agent.lines]] as const) {
      for (const s of secrets) {
        const hits = lines.filter((l) => l.includes(s));
        expect(hits, `${who} log holds ${s.slice(0, 6)}...`).toEqual([]);
      }
    }
    // The admin password came from HUB_ADMIN_PASSWORD, so the hub printed only where it came from.
    expect(hub.lines).toContain('admin password: (from HUB_ADMIN_PASSWORD)');
  });

  it('no API answer holds a password', () => {
    for (const s of Object.values(P)) expect(answers.filter((a) => a.includes(s))).toEqual([]);
  });

  it("the hub's data files hold passwords only hashed or sealed, and no token", async () => {
    const files = (await filesUnder(hubDir)).filter((f) => !f.endsWith('.key'));
    expect(files.map((f) => f.slice(hubDir.length + 1))).toContain('hub.json');
    const text = (await Promise.all(files.map((f) => readFile(f, 'latin1')))).join('\n');
    for (const s of [...Object.values(P), ...tokens]) expect(text.includes(s), `a hub data file holds ${s.slice(0, 6)}...`).toBe(false);
    const identity = JSON.parse(await readFile(join(agentDir, 'identity.json'), 'utf8')) as { credential: string };
    expect(text.includes(identity.credential.split('.').at(-1)!)).toBe(false);
    // The records are there: the external repository's user in clear, its password sealed.
    expect(text).toContain('registry.example.com:5000');
    expect(text).toContain('puller');
  });

  it("the agent's files hold only its own credential and its workloads' pull credentials", async () => {
    const identity = await readFile(join(agentDir, 'identity.json'), 'utf8');
    const desired = await readFile(join(agentDir, 'desired.json'), 'utf8');
    expect(identity).toMatch(/"credential": "vsmn\./);
    expect(desired).toContain(P.external);
    const all = (await Promise.all((await filesUnder(agentDir)).map((f) => readFile(f, 'latin1')))).join('\n');
    for (const s of [...Object.values(P).filter((p) => p !== P.external), ...tokens]) expect(all.includes(s), `an agent file holds ${s.slice(0, 6)}...`).toBe(false);
  });

  it('every file of the hub and the agent is mode 0600 in a 0700 directory', async () => {
    const modes: Record<string, string> = {};
    for (const dir of [hubDir, agentDir]) {
      modes[dir] = ((await stat(dir)).mode & 0o777).toString(8);
      for (const f of await filesUnder(dir)) modes[f] = ((await stat(f)).mode & 0o777).toString(8);
    }
    const expected = Object.fromEntries(Object.keys(modes).map((p) => [p, p === hubDir || p === agentDir ? '700' : '600']));
    expect(modes).toEqual(expected);
    for (const f of ['jwt.key', 'repository-secret.key', 'registry-token.key', 'hub.json']) expect(Object.keys(modes)).toContain(join(hubDir, f));
    for (const f of ['identity.json', 'desired.json']) expect(Object.keys(modes)).toContain(join(agentDir, f));
  });
});

describe('HTTP headers', () => {
  let live: Child;
  let url: string;
  let token: string;

  beforeAll(async () => {
    live = group.spawn('hub again', 'hub/src/main.js', { HUB_HOST: '127.0.0.1', HUB_PORT: '0', HUB_DATA_DIR: hubDir });
    url = (await live.waitForLine(/^hub listening on (http:\/\/\S+)$/, 20_000))[1]!;
    const r = await fetch(`${url}/v1/authorization`, { method: 'POST', body: JSON.stringify({ user: 'admin', password: P.admin }) });
    token = ((await r.json()) as { token: string }).token;
  });

  const common = (h: Headers) => {
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('x-frame-options')).toMatch(/^(DENY|SAMEORIGIN)$/);
    expect(h.get('referrer-policy')).toBeTruthy();
    expect(h.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(h.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(h.get('x-powered-by')).toBeNull();
    expect(h.get('access-control-allow-origin')).toBeNull();
    expect(h.get('access-control-allow-credentials')).toBeNull();
  };

  it('the dashboard: a content security policy that allows only its own scripts, no framing, no sniffing', async () => {
    const r = await fetch(`${url}/`, { headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    common(r.headers);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).toMatch(/frame-ancestors 'none'|frame-ancestors 'self'/);
  });

  it('the API: the same headers on answers, refusals and unknown paths', async () => {
    for (const [path, auth, status] of [
      ['/v1/node', token, 200],
      ['/v1/node', undefined, 401],
      ['/v1/no-such-thing', token, 404],
      ['/v1/openapi.json', undefined, 200],
    ] as const) {
      const r = await fetch(url + path, { headers: { origin: 'https://evil.example', ...(auth ? { authorization: auth } : {}) } });
      expect(r.status, path).toBe(status);
      common(r.headers);
    }
  });

  it('CORS is off: a preflight from another origin is not allowed', async () => {
    const r = await fetch(`${url}/v1/node`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' },
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('access-control-allow-methods')).toBeNull();
    expect(r.headers.get('access-control-allow-headers')).toBeNull();
  });

  afterAll(async () => {
    await live?.stop('SIGTERM');
  });
});
