/**
 * Benchmarks the user endpoints of a real hub process on 10,000 users: login throughput and
 * the latency of the admin user list. Run with `npm run bench:users`; writes bench/users-results.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../hub/src/services/passwords.js';
import { emptyData } from '../hub/src/store/migrations.js';
import type { HubData, UserRecord } from '../hub/src/store/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const HUB_MAIN = join(HERE, '../hub/src/main.js');
const RESULTS = resolve(HERE, '../../bench/users-results.json');

const USERS = 10_000;
const PASSWORD = 'Bench12345';
const ADMIN_PASSWORD = 'Admin12345';
const LOGIN_CONCURRENCY = 8;
const LOGIN_SECONDS = 5;
const LIST_REQUESTS = 2000;

/** hub.json with USERS approved users sharing one real scrypt hash (one hash, not 10,000). */
async function seed(dir: string): Promise<void> {
  const passwordHash = await hashPassword(PASSWORD);
  const t = Math.floor(Date.now() / 1000);
  const data: HubData = emptyData();
  data.users = Array.from({ length: USERS }, (_, i): UserRecord => ({
    id: i + 1,
    user: `user${String(i + 1).padStart(5, '0')}`,
    passwordHash,
    phone: '12345678910',
    realName: `Bench User ${i + 1}`,
    isAdmin: false,
    isSystemAdmin: false,
    status: 1,
    businessId: null,
    sessionEpoch: 0,
    createTime: t,
    updateTime: t,
  }));
  data.nextId.user = USERS + 1;
  await writeFile(join(dir, 'hub.json'), JSON.stringify(data), { mode: 0o600 });
}

function startHub(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const env = { ...process.env, HUB_PORT: '0', HUB_HOST: '127.0.0.1', HUB_DATA_DIR: dir, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, HUB_LOG_LEVEL: 'warn' };
  const proc = spawn(process.execPath, [HUB_MAIN], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((res, rej) => {
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /^hub listening on (http:\/\/\S+)$/m.exec(out);
      if (m) res({ url: m[1]!, proc });
    });
    proc.once('exit', (code) => rej(new Error(`hub exited with ${code}:\n${out}`)));
  });
}

async function login(url: string, user: string, password: string): Promise<string> {
  const r = await fetch(`${url}/v1/authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  const body = (await r.json()) as { token?: string; message: string };
  if (r.status !== 200 || !body.token) throw new Error(`login ${user}: ${r.status} ${body.message}`);
  return body.token;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

interface LatencyStats {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

function stats(ms: number[]): LatencyStats {
  const s = [...ms].sort((a, b) => a - b);
  return { requests: s.length, p50Ms: round(pct(s, 50)), p99Ms: round(pct(s, 99)), meanMs: round(s.reduce((a, b) => a + b, 0) / s.length) };
}

/** Logins of distinct users (so the failed-login throttle plays no part), LOGIN_CONCURRENCY at a time. */
async function loginThroughput(url: string) {
  let next = 0;
  let ok = 0;
  const ms: number[] = [];
  const until = performance.now() + LOGIN_SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const i = next++ % USERS;
      const t0 = performance.now();
      await login(url, `user${String(i + 1).padStart(5, '0')}`, PASSWORD);
      ms.push(performance.now() - t0);
      ok++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { concurrency: LOGIN_CONCURRENCY, seconds: round(seconds), logins: ok, loginsPerSecond: round(ok / seconds, 1), ...stats(ms) };
}

async function listLatency(url: string, token: string, query: string): Promise<LatencyStats & { query: string; total: number }> {
  const get = async () => {
    const r = await fetch(`${url}/v1/admin/user?${query}`, { headers: { authorization: token } });
    const body = (await r.json()) as { total: number; data: unknown[] };
    if (r.status !== 200 || body.data.length !== 10) throw new Error(`list ${query}: ${r.status}`);
    return body.total;
  };
  for (let i = 0; i < 50; i++) await get(); // warm-up
  const ms: number[] = [];
  let total = 0;
  for (let i = 0; i < LIST_REQUESTS; i++) {
    const t0 = performance.now();
    total = await get();
    ms.push(performance.now() - t0);
  }
  return { query, total, ...stats(ms) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-users-'));
  let proc: ChildProcess | undefined;
  try {
    await seed(dir);
    const hub = await startHub(dir);
    proc = hub.proc;
    const token = await login(hub.url, 'admin', ADMIN_PASSWORD);
    const logins = await loginThroughput(hub.url);
    const lists = [
      await listLatency(hub.url, token, 'pageSize=10'),
      await listLatency(hub.url, token, 'pageSize=10&orderBy=user_name'),
    ];
    const results = {
      at: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
      users: USERS + 1,
      login: logins,
      list: lists,
    };
    console.log(`users: ${results.users}  node ${results.node}  cpu ${results.cpu}`);
    console.table([
      { what: `login (concurrency ${logins.concurrency}, ${logins.seconds} s)`, 'req/s': logins.loginsPerSecond, requests: logins.requests, 'p50 ms': logins.p50Ms, 'p99 ms': logins.p99Ms },
      ...lists.map((l) => ({ what: `GET /v1/admin/user?${l.query}`, 'req/s': round(1000 / l.meanMs, 1), requests: l.requests, 'p50 ms': l.p50Ms, 'p99 ms': l.p99Ms })),
    ]);
    await mkdir(dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, JSON.stringify(results, null, 2) + '\n');
    console.log(`written to ${RESULTS}`);
  } finally {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc!.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench-users: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
