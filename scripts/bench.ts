/**
 * `npm run bench -- --agents N --duration S`: how far one hub goes. Starts a hub on a temp data
 * dir, ramps N simulated agents (scripts/simulator.ts, a separate process), then measures:
 *   steady state     hub CPU% and RSS, heartbeats/s, store writes/s and file size (no REST load)
 *   REST under load  GET /v1/node?clusterName=X&pageSize=10 p50/p99 from scripts/load.ts, plus a few other list queries
 *   detection        agents killed silently (frozen host) and by closing their socket: kill -> API says not ready
 *   restart          SIGTERM the hub, start it again: until every node is ready again
 * Prints a table and writes bench/results.json (or --out). Options: --heartbeat-ms, --grace-ms,
 * --clusters, --rate (REST req/s), --churn (fraction killed), --profile (CPU profiles of the
 * steady, load and reconnect phases in bench/profiles/), --quick (CI: short phases, no assertions).
 */
import { watch } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchApi } from './bench-api.js';
import { runLoad, SimulatorProcess, type LoadResult } from './bench-children.js';
import { cpuPct, procSample, Profiler, startHub, type Hub, type HubOptions } from './bench-hub.js';
import { printHotSpots, type CpuProfile } from './bench-profile.js';
import { arg, flag, freePort, numArg, percentile, round, sleep } from './bench-util.js';
import { clusterName, nodeName } from './simulator-fleet.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PASSWORD = 'BenchAdmin12345';
const LABEL = 'bench-gpu';

const quick = flag('quick');
const agents = Math.max(1, Math.floor(numArg('agents', 1000)));
const durationS = numArg('duration', quick ? 5 : 30);
const heartbeatMs = numArg('heartbeat-ms', quick ? 1000 : 5000);
const graceMs = numArg('grace-ms', quick ? 3000 : 15_000);
const clusters = Math.max(1, Math.floor(numArg('clusters', Math.ceil(agents / 100))));
const rate = numArg('rate', quick ? 20 : 50);
const churn = numArg('churn', 0.01);
const profile = flag('profile');
const out = resolve(arg('out') ?? join(ROOT, 'bench/results.json'));
const extraS = quick ? 1 : Math.min(10, durationS);

const log = (s: string) => process.stdout.write(`bench: ${s}\n`);

/** Runs `fn` with the hub's CPU profiler on (when --profile) and saves the profile as bench/profiles/<name>-<agents>.cpuprofile. */
async function profiled<T>(hub: Hub, name: string, fn: () => Promise<T>): Promise<T> {
  if (!profile || !hub.inspectorUrl) return fn();
  const p = await Profiler.connect(hub.inspectorUrl);
  await p.start();
  try {
    return await fn();
  } finally {
    const prof = (await p.stop()) as CpuProfile;
    p.close();
    const file = join(ROOT, 'bench/profiles', `${name}-${agents}.cpuprofile`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(prof));
    printHotSpots(`${name} profile (${file})`, prof, 20);
  }
}

/** Hub CPU% (and the simulator's), RSS (last and peak, sampled each second) and store writes over `fn`. */
async function measured<T>(hub: Hub, dataDir: string, simPid: number, fn: () => Promise<T>) {
  let writes = 0;
  const w = watch(dataDir, (event, file) => {
    if (event === 'rename' && file === 'hub.json') writes++;
  });
  const first = procSample(hub.pid);
  const simFirst = procSample(simPid);
  let rssPeak = first.rssMb;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, procSample(hub.pid).rssMb)), 1000);
  try {
    const result = await fn();
    const last = procSample(hub.pid);
    const simCpuPct = cpuPct(simFirst, procSample(simPid));
    const seconds = (last.at - first.at) / 1000;
    return { result, seconds, cpuPct: cpuPct(first, last), simCpuPct, rssMb: last.rssMb, rssPeakMb: Math.max(rssPeak, last.rssMb), writesPerSec: writes / seconds };
  } finally {
    clearInterval(sampler);
    w.close();
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vsm-bench-'));
  const hubOpts: HubOptions = { dataDir, port: await freePort(), heartbeatMs, graceMs, adminPassword: PASSWORD, inspect: profile };
  let hub: Hub | undefined;
  let sim: SimulatorProcess | undefined;
  try {
    log(`${agents} agents in ${clusters} clusters, heartbeat ${heartbeatMs} ms, grace ${graceMs} ms${quick ? ' (quick)' : ''}`);
    hub = await startHub(hubOpts);
    const api = await BenchApi.login(hub.url, PASSWORD);
    sim = await SimulatorProcess.start(['--hub', hub.url, '--key', join(dataDir, 'jwt.key'), '--agents', String(agents), '--clusters', String(clusters)]);

    // Ramp: every agent enrolls with a join token and gets its credential.
    const ramp = await sim.ramp(600_000);
    await api.waitReady(agents, 60_000);
    log(`ramp: ${agents} agents enrolled and ready in ${Math.round(ramp.ms)} ms`);
    const byCluster = new Map<string, string[]>();
    for (let i = 0; i < agents; i += 10) {
      const cluster = clusterName(i % clusters);
      const list = byCluster.get(cluster) ?? [];
      list.push(nodeName(i));
      byCluster.set(cluster, list);
    }
    const labelled = await api.labelNodes(byCluster, LABEL);
    await sleep(Math.max(2000, heartbeatMs));

    // Steady state: heartbeats only.
    const simBefore = await sim.stats();
    const hubBefore = await api.metric('vsm_heartbeats_received_total');
    const pingsBefore = await api.metric('vsm_agent_pings_sent_total');
    const steady = await profiled(hub, 'steady', () => measured(hub!, dataDir, sim!.proc.pid!, () => sleep(durationS * 1000)));
    const simAfter = await sim.stats();
    const hubAfter = await api.metric('vsm_heartbeats_received_total');
    const pingsAfter = await api.metric('vsm_agent_pings_sent_total');
    // Pings the hub sent to silent agents (a hub without the counter: not measured).
    const hubPingsPerSec = pingsBefore !== undefined && pingsAfter !== undefined ? (pingsAfter - pingsBefore) / steady.seconds : null;
    // Counted by the hub when it has the metric, else as sent by the simulator.
    const heartbeatsPerSec =
      hubBefore !== undefined && hubAfter !== undefined ? (hubAfter - hubBefore) / steady.seconds : (simAfter.heartbeats - simBefore.heartbeats) / steady.seconds;
    const heartbeatsSentPerSec = (simAfter.heartbeats - simBefore.heartbeats) / steady.seconds;
    const fileMb = (await stat(join(dataDir, 'hub.json'))).size / 2 ** 20;
    const all = await api.get<{ isReady: boolean; lastHeartbeatAgeMs: number | null }[]>('/v1/node?pageSize=0&field=isReady,lastHeartbeatAgeMs');
    const maxAge = Math.max(...all.data.map((n) => n.lastHeartbeatAgeMs ?? Infinity));
    log(`steady: hub ${round(steady.cpuPct)}% CPU, ${round(steady.rssMb)} MB RSS, ${round(heartbeatsPerSec)} heartbeats/s, oldest heartbeat ${maxAge} ms`);

    // REST under load, from a separate process, with the agents still heartbeating.
    const load = (path: string, seconds: number) =>
      runLoad({ url: hub!.url, token: api.token, rate, durationS: seconds, path, clusters, warmupS: quick ? 0.5 : 2 });
    const nodeList = await profiled(hub, 'load', () => measured(hub!, dataDir, sim!.proc.pid!, () => load('/v1/node?clusterName={cluster}&pageSize=10', durationS)));
    log(`load: GET /v1/node?clusterName=X&pageSize=10 at ${rate}/s: p50 ${nodeList.result.p50Ms} ms, p99 ${nodeList.result.p99Ms} ms, hub ${round(nodeList.cpuPct)}% CPU`);
    const extras: LoadResult[] = [];
    for (const path of [`/v1/node?nodeLabel=${LABEL}&pageSize=10`, `/v1/node?clusterName={cluster}&nodeLabel=${LABEL}&pageSize=10`, '/v1/node?pageSize=10', '/v1/cluster?pageSize=10']) {
      extras.push(await load(path, extraS));
    }

    // Detection: silent deaths (frozen hosts) and closed sockets (killed processes).
    const count = Math.min(200, Math.max(quick ? 4 : 10, Math.round(churn * agents)));
    const spreadMs = 2 * heartbeatMs;
    const { victims } = await sim.kill(count, ['freeze', 'close'], spreadMs);
    const found = await api.detect(victims, spreadMs + graceMs + 2 * heartbeatMs + 10_000);
    const silent = victims.filter((v) => v.mode === 'freeze' && found.has(v)).map((v) => found.get(v)!);
    const closed = victims.filter((v) => v.mode === 'close' && found.has(v)).map((v) => found.get(v)!);
    const rejoin = await sim.revive(120_000);
    await api.waitReady(agents, 60_000);
    log(`detection: silent p50 ${percentile(silent, 50)} ms max ${Math.max(...silent)} ms; closed p50 ${percentile(closed, 50)} ms; ${victims.length - found.size} missed`);

    // Restart: every agent must come back by itself.
    const t0 = performance.now();
    const stopCode = await hub.stop();
    const stopMs = performance.now() - t0;
    hub = await startHub(hubOpts);
    api.url = hub.url;
    const reconnectAllMs = await profiled(hub, 'reconnect', () => api.waitReady(agents, 180_000, 100));
    const fromStopMs = performance.now() - t0;
    log(`restart: hub stopped (exit ${stopCode}) in ${Math.round(stopMs)} ms; all ${agents} ready ${Math.round(reconnectAllMs)} ms after listening`);

    const results = {
      at: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
      quick,
      agents,
      clusters,
      heartbeatMs,
      graceMs,
      durationS,
      rampMs: round(ramp.ms, 0),
      hubCpuPct: round(steady.cpuPct),
      simulatorCpuPct: round(steady.simCpuPct),
      hubRssMb: round(steady.rssMb),
      hubRssPeakMb: round(Math.max(steady.rssPeakMb, nodeList.rssPeakMb)),
      heartbeatsPerSec: round(heartbeatsPerSec),
      heartbeatsSentPerSec: round(heartbeatsSentPerSec),
      heartbeatsCountedBy: hubAfter !== undefined ? 'hub' : 'simulator',
      hubPingsPerSec: hubPingsPerSec === null ? null : round(hubPingsPerSec),
      heartbeatsExpectedPerSec: round((agents * 1000) / heartbeatMs),
      oldestHeartbeatMs: maxAge,
      storeWritesPerSec: round(steady.writesPerSec, 2),
      storeFileMb: round(fileMb, 2),
      labelledNodes: labelled,
      restRate: rate,
      nodeListP50Ms: nodeList.result.p50Ms,
      nodeListP99Ms: nodeList.result.p99Ms,
      nodeList: nodeList.result,
      hubCpuPctUnderLoad: round(nodeList.cpuPct),
      storeWritesPerSecUnderLoad: round(nodeList.writesPerSec, 2),
      queries: extras,
      detectVictims: victims.length,
      detectMissed: victims.length - found.size,
      detectP50Ms: percentile(silent, 50),
      detectP90Ms: percentile(silent, 90),
      detectMaxMs: silent.length ? Math.max(...silent) : NaN,
      detectClosedP50Ms: percentile(closed, 50),
      detectClosedMaxMs: closed.length ? Math.max(...closed) : NaN,
      rejoinMs: round(rejoin.ms, 0),
      hubStopMs: round(stopMs, 0),
      reconnectAllMs: round(reconnectAllMs, 0),
      reconnectFromStopMs: round(fromStopMs, 0),
      simulator: await sim.stats(),
    };
    console.table(
      Object.fromEntries(
        Object.entries(results).filter(([, v]) => typeof v === 'number' || typeof v === 'boolean').map(([k, v]) => [k, { value: v }]),
      ),
    );
    console.table(extras.map((e) => ({ path: e.path, 'p50 ms': e.p50Ms, 'p99 ms': e.p99Ms, errors: e.errors })));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(results, null, 2) + '\n');
    log(`written to ${out}`);
  } finally {
    await sim?.stop();
    await hub?.stop();
    if (!flag('keep')) await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
