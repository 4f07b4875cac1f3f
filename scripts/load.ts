/**
 * REST load: an open-loop stream of GET requests at a fixed rate, latency counted from each
 * request's scheduled start (so a stalled hub cannot hide behind a waiting client).
 *
 *   node dist/scripts/load.js --url http://127.0.0.1:8080 --token T --rate 50 --duration-s 20 \
 *     --path '/v1/node?clusterName={cluster}&pageSize=10' --clusters 100 [--warmup-s 2]
 *
 * `{cluster}` is replaced by a random simulator cluster name per request. Prints one JSON line.
 */
import { Agent, request } from 'node:http';
import { arg, numArg, percentile, round } from './bench-util.js';
import { clusterName } from './simulator-fleet.js';

function get(agent: Agent, url: URL, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: token } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function main(): Promise<void> {
  const base = arg('url');
  const token = arg('token');
  if (!base || !token) throw new Error('--url and --token are required');
  const rate = numArg('rate', 50);
  const durationMs = numArg('duration-s', 10) * 1000;
  const warmupMs = numArg('warmup-s', 1) * 1000;
  const path = arg('path') ?? '/v1/node?clusterName={cluster}&pageSize=10';
  const clusters = Math.max(1, numArg('clusters', 1));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const ms: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let outstanding = 0;
  const t0 = performance.now();
  const total = Math.floor(((warmupMs + durationMs) / 1000) * rate);
  let sent = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const fire = (scheduled: number, counted: boolean) => {
    outstanding++;
    const url = new URL(path.replace('{cluster}', clusterName(Math.floor(Math.random() * clusters))), base);
    get(agent, url, token).then(
      (status) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== 200) errors++;
        if (counted) ms.push(performance.now() - scheduled);
      },
      () => errors++,
    ).finally(() => {
      if (--outstanding === 0 && sent === total) done();
    });
  };
  // Each wake-up fires every request whose scheduled time has come.
  await new Promise<void>((resolve) => {
    const pump = () => {
      const now = performance.now();
      while (sent < total && t0 + (sent * 1000) / rate <= now) {
        const scheduled = t0 + (sent * 1000) / rate;
        fire(scheduled, scheduled - t0 >= warmupMs);
        sent++;
      }
      if (sent >= total) return resolve();
      setTimeout(pump, Math.max(0, t0 + (sent * 1000) / rate - performance.now()));
    };
    pump();
  });
  if (outstanding > 0) await finished;
  agent.destroy();
  const seconds = (performance.now() - t0 - warmupMs) / 1000;
  process.stdout.write(
    JSON.stringify({
      path,
      rate,
      requests: ms.length,
      achievedRate: round(ms.length / seconds),
      errors,
      statuses,
      p50Ms: round(percentile(ms, 50), 2),
      p90Ms: round(percentile(ms, 90), 2),
      p99Ms: round(percentile(ms, 99), 2),
      maxMs: round(Math.max(...ms), 2),
      meanMs: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length), 2),
    }) + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`load: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
