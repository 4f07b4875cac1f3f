/**
 * How long a readiness change takes to reach an open dashboard page, with a real hub, a real
 * agent and Debian's headless Chromium. The page's node row is watched by a MutationObserver
 * that notes when it flips; the hub's event time is on the row (data-ready-at), and hub, page
 * and this script share one clock. Prints median, min and max per case.
 *
 *   npx tsc -p . && node dist/scripts/measure-dashboard-latency.js [--runs 10] [--heartbeat 500] [--grace 2000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../test/helpers/browser.js';
import { connectedLine, HubClient, LIVE_ADMIN_PASSWORD, startAgent, startHub } from '../test/helpers/live-hub.js';
import { median } from '../test/helpers/packaging.js';
import { assertBuilt, pollUntil, ProcessGroup, type Child } from '../test/helpers/processes.js';

// page.evaluate callbacks run in the browser; tsconfig has no DOM library.
declare const document: any;
declare const window: any;
declare const MutationObserver: any;

const CLUSTER = 'measure';
const NODE = 'latency-node';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 10);
const HEARTBEAT_MS = arg('heartbeat', 500);
const GRACE_MS = arg('grace', 2000);

interface Flip {
  ready: boolean;
  /** Page clock (Date.now) when the row changed. */
  seenAt: number;
  /** Hub clock when it published the change (the event's `at`). */
  at: number;
}

async function main(): Promise<void> {
  assertBuilt();
  const group = new ProcessGroup();
  const root = await mkdtemp(join(tmpdir(), 'vsm-latency-'));
  const browser = await launchChromium();
  const out: Record<string, number[]> = {
    'hub publishes not ready -> page (kill -9)': [],
    'hub publishes ready -> page (agent rejoins)': [],
    'kill -9 of the agent -> page red': [],
    'hub publishes not ready -> page (SIGSTOP)': [],
    'SIGSTOP of the agent -> page red': [],
  };
  try {
    const hub = await startHub(group, { dataDir: join(root, 'hub'), heartbeatMs: HEARTBEAT_MS, graceMs: GRACE_MS });
    const api = await HubClient.login(hub.url);
    const token = await api.joinToken(CLUSTER);
    const launch = async (): Promise<Child> => {
      const a = startAgent(group, { hubUrl: hub.url, token, nodeName: NODE, dataDir: join(root, 'agent') });
      await a.waitForLine(connectedLine(NODE, CLUSTER), 20_000);
      return a;
    };
    let agent = await launch();

    const { page } = browser;
    await page.goto(`${hub.url}/`);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', LIVE_ADMIN_PASSWORD);
    await page.click('#login-submit');
    const sel = `#nodes tr[data-node="${CLUSTER}/${NODE}"]`;
    await page.waitForSelector(`${sel}[data-ready="true"]`, { timeout: 20_000 });
    await page.evaluate((s: string) => {
      window.vsmFlips = [];
      let last = document.querySelector(s)?.dataset.ready;
      new MutationObserver(() => {
        const tr = document.querySelector(s);
        if (!tr || tr.dataset.ready === last) return;
        last = tr.dataset.ready;
        window.vsmFlips.push({ ready: last === 'true', seenAt: Date.now(), at: Number(tr.dataset.readyAt) });
      }).observe(document.querySelector('#nodes tbody'), { subtree: true, childList: true, attributes: true });
    }, sel);
    const flips = () => page.evaluate(() => window.vsmFlips as Flip[]);
    const nextFlip = async (ready: boolean, seen: number): Promise<Flip> => {
      const all = await pollUntil(flips, (f) => f.length > seen && f[f.length - 1]!.ready === ready, GRACE_MS + 20_000, 10);
      return all[all.length - 1]!;
    };

    for (let i = 0; i < RUNS; i++) {
      let seen = (await flips()).length;
      const t0 = Date.now();
      agent.proc.kill('SIGKILL');
      const down = await nextFlip(false, seen);
      out['hub publishes not ready -> page (kill -9)']!.push(down.seenAt - down.at);
      out['kill -9 of the agent -> page red']!.push(down.seenAt - t0);
      await agent.exited;
      seen = (await flips()).length;
      agent = await launch();
      const up = await nextFlip(true, seen);
      out['hub publishes ready -> page (agent rejoins)']!.push(up.seenAt - up.at);
    }
    for (let i = 0; i < RUNS; i++) {
      let seen = (await flips()).length;
      const from = agent.lines.length;
      const t0 = Date.now();
      agent.proc.kill('SIGSTOP');
      const down = await nextFlip(false, seen);
      out['hub publishes not ready -> page (SIGSTOP)']!.push(down.seenAt - down.at);
      out['SIGSTOP of the agent -> page red']!.push(down.seenAt - t0);
      seen = (await flips()).length;
      agent.proc.kill('SIGCONT');
      await nextFlip(true, seen);
      await agent.waitForLine(connectedLine(NODE, CLUSTER), 60_000, from).catch(() => undefined);
    }
    if (browser.errors.length) process.stderr.write(`page errors: ${browser.errors.join('; ')}\n`);
  } finally {
    await browser.close();
    await group.killAll();
    await rm(root, { recursive: true, force: true });
  }

  process.stdout.write(`\nHUB_HEARTBEAT_MS=${HEARTBEAT_MS} HUB_NODE_GRACE_MS=${GRACE_MS}, ${RUNS} runs each (ms)\n`);
  process.stdout.write(`${'case'.padEnd(46)}${'median'.padStart(9)}${'min'.padStart(9)}${'max'.padStart(9)}\n`);
  for (const [what, xs] of Object.entries(out)) {
    const f = (n: number) => n.toFixed(0).padStart(9);
    process.stdout.write(`${what.padEnd(46)}${f(median(xs))}${f(Math.min(...xs))}${f(Math.max(...xs))}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`measure-dashboard-latency: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
