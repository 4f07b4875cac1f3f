/**
 * Measures how fast the hub notices that an agent went away, and how fast an agent comes back
 * after a hub restart, with real processes. Prints medians (and min/max) per configuration.
 *
 *   npx tsc -p . && node dist/scripts/measure-detection.js [--runs 10] [--only short|defaults]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectedLine, HubClient, startAgent, startHub, type LiveHub } from '../test/helpers/live-hub.js';
import { median } from '../test/helpers/packaging.js';
import { assertBuilt, freePort, pollUntil, ProcessGroup, type Child } from '../test/helpers/processes.js';

const CLUSTER = 'measure';
const NODE = 'measure-node';

interface Config {
  name: string;
  heartbeatMs: number;
  graceMs: number;
}

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('runs') ?? 10);
const CONFIGS: Config[] = [
  { name: 'short', heartbeatMs: 500, graceMs: 2000 },
  { name: 'defaults', heartbeatMs: 5000, graceMs: 15_000 },
].filter((c) => !arg('only') || c.name === arg('only'));

async function measureConfig(c: Config): Promise<Record<string, number[]>> {
  const group = new ProcessGroup();
  const root = await mkdtemp(join(tmpdir(), 'vsm-measure-'));
  const port = await freePort();
  const out: Record<string, number[]> = { 'kill -9': [], 'SIGTERM (from signal)': [], 'SIGTERM (after exit)': [], 'SIGSTOP (frozen agent)': [], 'hub restart: reconnect after listening': [], 'hub restart: total outage': [] };
  try {
    let hub: LiveHub = await startHub(group, { dataDir: join(root, 'hub'), port, heartbeatMs: c.heartbeatMs, graceMs: c.graceMs });
    const api = await HubClient.login(hub.url);
    const token = await api.joinToken(CLUSTER);
    const ready = () => api.isReady(CLUSTER, NODE);
    const timeout = c.graceMs + 10_000;
    const launch = async (): Promise<Child> => {
      const a = startAgent(group, { hubUrl: hub.url, token, nodeName: NODE, dataDir: join(root, 'agent') });
      await a.waitForLine(connectedLine(NODE, CLUSTER), 20_000);
      await pollUntil(ready, (r) => r === true, timeout);
      return a;
    };
    /** Milliseconds from t0 until the API shows the node not ready (polled every 5 ms). */
    const untilNotReady = async (t0: number) => {
      await pollUntil(ready, (r) => r === false, timeout, 5);
      return performance.now() - t0;
    };

    let agent = await launch();
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      agent.proc.kill('SIGKILL');
      out['kill -9']!.push(await untilNotReady(t0));
      await agent.exited;
      agent = await launch();
    }
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      agent.proc.kill('SIGTERM');
      await agent.exited;
      const t1 = performance.now();
      out['SIGTERM (from signal)']!.push(await untilNotReady(t0));
      out['SIGTERM (after exit)']!.push(Math.max(0, performance.now() - t1));
      agent = await launch();
    }
    for (let i = 0; i < RUNS; i++) {
      const from = agent.lines.length;
      const t0 = performance.now();
      agent.proc.kill('SIGSTOP');
      out['SIGSTOP (frozen agent)']!.push(await untilNotReady(t0));
      agent.proc.kill('SIGCONT');
      await agent.waitForLine(connectedLine(NODE, CLUSTER), 60_000, from);
      await pollUntil(ready, (r) => r === true, timeout);
    }
    for (let i = 0; i < RUNS; i++) {
      const from = agent.lines.length;
      const t0 = performance.now();
      await hub.child.stop('SIGTERM');
      hub = await startHub(group, { dataDir: hub.dataDir, port, heartbeatMs: c.heartbeatMs, graceMs: c.graceMs });
      const t1 = performance.now();
      await agent.waitForLine(connectedLine(NODE, CLUSTER), 60_000, from);
      const t2 = performance.now();
      out['hub restart: reconnect after listening']!.push(t2 - t1);
      out['hub restart: total outage']!.push(t2 - t0);
      await pollUntil(ready, (r) => r === true, timeout);
    }
    return out;
  } finally {
    await group.killAll();
    await rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  assertBuilt();
  for (const c of CONFIGS) {
    process.stdout.write(`\nHUB_HEARTBEAT_MS=${c.heartbeatMs} HUB_NODE_GRACE_MS=${c.graceMs}, ${RUNS} runs each (ms)\n`);
    const r = await measureConfig(c);
    process.stdout.write(`${'event'.padEnd(42)}${'median'.padStart(9)}${'min'.padStart(9)}${'max'.padStart(9)}\n`);
    for (const [what, xs] of Object.entries(r)) {
      const f = (n: number) => n.toFixed(0).padStart(9);
      process.stdout.write(`${what.padEnd(42)}${f(median(xs))}${f(Math.min(...xs))}${f(Math.max(...xs))}\n`);
    }
  }
}

main().catch((e: Error) => {
  process.stderr.write(`measure-detection: ${e.message}\n`);
  process.exit(1);
});
