/**
 * Agent simulator: one process, N agents speaking the real protocol over real WebSockets.
 *
 *   node dist/scripts/simulator.js --hub http://127.0.0.1:8080 --key data/jwt.key --agents 1000 \
 *     [--clusters K] [--source-ips M] [--facts full|minimal] [--facts-every-s S] [--ramp-concurrency C]
 *     [--churn 0.01 --churn-every-s 30 --churn-down-s 10] [--duration-s 60] [--control]
 *
 * Without --control it ramps, runs for --duration-s (with churn when --churn > 0), printing
 * counters every 5 s on stderr, and exits. With --control (the bench) it takes one JSON command
 * per line on stdin ({id, cmd: ramp|stats|kill|revive|stop, ...}) and answers one JSON line on
 * stdout per command; it exits when told to or when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { KillMode } from './simulator-agent.js';
import { Fleet } from './simulator-fleet.js';
import { arg, flag, numArg, openFileLimit, sleep } from './bench-util.js';

interface Command {
  id: number;
  cmd: 'ramp' | 'stats' | 'kill' | 'revive' | 'stop';
  count?: number;
  modes?: KillMode[];
  spreadMs?: number;
  timeoutMs?: number;
}

function options() {
  const hubUrl = arg('hub');
  const keyPath = arg('key');
  if (!hubUrl || !keyPath) throw new Error('--hub URL and --key HUB_DATA_DIR/jwt.key are required');
  const agents = Math.floor(numArg('agents', 100));
  const facts = arg('facts') ?? 'full';
  if (facts !== 'full' && facts !== 'minimal') throw new Error('--facts must be full or minimal');
  return {
    hubUrl,
    joinKey: Buffer.from(readFileSync(keyPath, 'utf8').trim(), 'base64url'),
    agents,
    clusters: Math.max(1, Math.floor(numArg('clusters', Math.ceil(agents / 100)))),
    sourceIps: Math.max(1, Math.min(254, Math.floor(numArg('source-ips', Math.ceil(agents / 15_000))))),
    facts: facts as 'full' | 'minimal',
    factsEveryMs: numArg('facts-every-s', 0) * 1000,
    rampConcurrency: Math.max(1, Math.floor(numArg('ramp-concurrency', 200))),
  };
}

async function control(fleet: Fleet): Promise<void> {
  const reply = (m: object) => process.stdout.write(JSON.stringify(m) + '\n');
  const lines = createInterface({ input: process.stdin });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    fleet.stop();
    setTimeout(() => process.exit(0), 200).unref();
  };
  lines.on('close', stop);
  reply({ event: 'ready', pid: process.pid });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const c = JSON.parse(line) as Command;
    const answer = async (): Promise<object> => {
      switch (c.cmd) {
        case 'ramp':
          return { ms: await fleet.ramp(c.timeoutMs ?? 600_000) };
        case 'stats':
          return fleet.stats();
        case 'kill':
          return { victims: fleet.kill(c.count ?? 1, c.modes ?? ['freeze', 'close'], c.spreadMs ?? 0) };
        case 'revive':
          return { ms: await fleet.revive(c.timeoutMs ?? 120_000) };
        case 'stop':
          stop();
          return {};
      }
    };
    // Commands run concurrently (stats while a ramp is under way).
    answer().then(
      (r) => reply({ id: c.id, ok: true, ...r }),
      (e: Error) => reply({ id: c.id, ok: false, error: e.message }),
    );
  }
}

async function standalone(fleet: Fleet): Promise<void> {
  const durationMs = numArg('duration-s', 60) * 1000;
  const churn = numArg('churn', 0);
  const churnEveryMs = numArg('churn-every-s', 30) * 1000;
  const churnDownMs = numArg('churn-down-s', 10) * 1000;
  const log = (what: string) => process.stderr.write(`simulator: ${what} ${JSON.stringify(fleet.stats())}\n`);
  const rampMs = await fleet.ramp(600_000);
  log(`ramp done in ${Math.round(rampMs)} ms`);
  const end = performance.now() + durationMs;
  let nextChurn = performance.now() + churnEveryMs;
  let nextLog = performance.now() + 5000;
  while (performance.now() < end) {
    await sleep(250);
    if (churn > 0 && performance.now() >= nextChurn) {
      nextChurn += churnEveryMs;
      const victims = fleet.kill(Math.max(1, Math.round(churn * fleet.agents.length)), ['freeze', 'close']);
      log(`killed ${victims.length}`);
      setTimeout(() => void fleet.revive(120_000).catch((e: Error) => log(e.message)), churnDownMs);
    }
    if (performance.now() >= nextLog) {
      nextLog += 5000;
      log('running');
    }
  }
  fleet.stop();
  log('done');
  setTimeout(() => process.exit(0), 200).unref();
}

async function main(): Promise<void> {
  const o = options();
  // One socket per agent, plus a few for the process itself.
  const limit = openFileLimit();
  if (o.agents + 64 > limit) {
    throw new Error(`${o.agents} agents need more than ulimit -n ${limit} open files; raise it (ulimit -n 65536) or run fewer agents per process`);
  }
  const fleet = new Fleet(o);
  await fleet.init();
  if (flag('control')) await control(fleet);
  else await standalone(fleet);
}

main().catch((e: unknown) => {
  process.stderr.write(`simulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
