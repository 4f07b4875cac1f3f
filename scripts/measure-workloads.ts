/**
 * Measures the workload path on this machine's Docker (issue 4's closing numbers):
 * POST /v1/deploy -> containers running (median of N runs), replacement of a killed container
 * (median of N), and containers reconciled per second by one agent. Prints a table; asserts nothing.
 * Usage: node dist/scripts/measure-workloads.js [--runs 10] [--burst 30]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 10);
const BURST = arg('burst', 30);
const IMAGE = 'vsm-test/busybox:1.0';
const node = `meas${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'vsm-measure-'));
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function start(script: string, env: Record<string, string>, ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, [join(root, 'dist', script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((res, rej) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = ready.exec(l);
      if (m) res(m[1] ?? l);
    });
    child.once('exit', (c) => rej(new Error(`${script} exited ${c}`)));
  });
}

let base = '';
async function call(token: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${base}${path}`, { method, headers: { authorization: token }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const j = (await r.json()) as { code: number; message: string };
  if (j.code !== 200) throw new Error(`${method} ${path}: ${j.code} ${j.message}`);
  return j;
}
const login = async (user: string, password: string) => (await call('', 'POST', '/v1/authorization', { user, password })).token as string;
const running = () =>
  execFileSync('docker', ['ps', '-q', '--filter', `label=vsm.node=${node}`, '--filter', 'status=running']).toString().split('\n').filter(Boolean);
async function until(cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

async function main(): Promise<void> {
  base = await start('hub/src/main.js', { HUB_PORT: '0', HUB_HOST: '127.0.0.1', HUB_DATA_DIR: join(dir, 'hub'), HUB_ADMIN_PASSWORD: 'Admin12345', HUB_LOG_LEVEL: 'warn' }, /^hub listening on (\S+)$/);
  const admin = await login('admin', 'Admin12345');
  const u = await call('', 'POST', '/v1/user', { user: 'meas', password: 'Passw0rdM', phone: '12345678', realName: 'm', isAdmin: true });
  await call(admin, 'PUT', `/v1/admin/user/${u.data.id}`, { status: 1 });
  let owner = await login('meas', 'Passw0rdM');
  const b = await call(owner, 'POST', '/v1/business', { name: `m${Date.now()}`, introduce: 'i', objective: 'o', scale: 's' });
  await call(admin, 'PUT', `/v1/business/id/${b.data.id}`, { status: 1, comment: '' });
  owner = await login('meas', 'Passw0rdM');
  const joinToken = (await call(admin, 'POST', '/v1/cluster/token', { clusterName: 'meas' })).data.token as string;
  await start('agent/src/main.js', { AGENT_HUB_URL: base, AGENT_TOKEN: joinToken, AGENT_NODE_NAME: node, AGENT_DATA_DIR: join(dir, 'agent'), AGENT_RUNTIME: 'docker', AGENT_LOG_LEVEL: 'warn' }, /^(agent connected)/);

  const app = (v: string, replicas: number) => ({ appName: 'm', deployType: 'deployment', image: IMAGE, version: v, port: [], command: ['sleep', '3600'], replicas });
  const deployTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await call(owner, 'POST', '/v1/app', app(`1.${i}`, 2));
    const t0 = performance.now();
    const d = await call(owner, 'POST', '/v1/deploy', { appName: 'm', version: `1.${i}`, clusterName: ['meas'] });
    await until(() => running().length === 2);
    deployTimes.push(performance.now() - t0);
    await call(owner, 'DELETE', `/v1/deploy/${d.data.id}`);
    await until(() => running().length === 0);
  }
  await call(owner, 'POST', '/v1/app', app('2.0', 1));
  const d = await call(owner, 'POST', '/v1/deploy', { appName: 'm', version: '2.0', clusterName: ['meas'] });
  await until(() => running().length === 1);
  const replaceTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [id] = running();
    const t0 = performance.now();
    execFileSync('docker', ['rm', '-f', id!]);
    await until(() => {
      const now = running(); // one docker ps per check
      return now.length === 1 && now[0] !== id;
    });
    replaceTimes.push(performance.now() - t0);
  }
  await call(owner, 'DELETE', `/v1/deploy/${d.data.id}`);
  await until(() => running().length === 0);
  await call(owner, 'POST', '/v1/app', app('3.0', BURST));
  const t0 = performance.now();
  const burst = await call(owner, 'POST', '/v1/deploy', { appName: 'm', version: '3.0', clusterName: ['meas'] });
  await until(() => running().length === BURST, 180_000);
  const burstMs = performance.now() - t0;
  await call(owner, 'DELETE', `/v1/deploy/${burst.data.id}`);
  await until(() => running().length === 0, 120_000);

  const rows = [
    ['POST /v1/deploy -> 2 containers running, median', `${median(deployTimes).toFixed(0)} ms`, `${RUNS} runs, min ${Math.min(...deployTimes).toFixed(0)}, max ${Math.max(...deployTimes).toFixed(0)}`],
    ['killed container replaced, median', `${median(replaceTimes).toFixed(0)} ms`, `${RUNS} runs, min ${Math.min(...replaceTimes).toFixed(0)}, max ${Math.max(...replaceTimes).toFixed(0)}`],
    [`containers reconciled per second (${BURST} at once)`, `${((BURST * 1000) / burstMs).toFixed(1)} /s`, `${burstMs.toFixed(0)} ms for ${BURST}`],
  ];
  for (const r of rows) console.log(r.join(' | '));
}

main()
  .catch((e: Error) => {
    console.error(`measure-workloads: ${e.message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    try {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=vsm.node=${node}`]).toString().split('\n').filter(Boolean);
      if (ids.length) execFileSync('docker', ['rm', '-f', ...ids]);
    } catch {
      // best effort
    }
    setTimeout(() => rmSync(dir, { recursive: true, force: true }), 1000);
  });
