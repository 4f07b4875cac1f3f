import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../helpers/browser.js';
import { connectedLine, HubClient, LIVE_ADMIN_PASSWORD, startAgent, startHub, type LiveHub } from '../helpers/live-hub.js';
import { assertBuilt, ProcessGroup, ROOT, type Child } from '../helpers/processes.js';

// The callbacks given to page.evaluate run in the browser; tsconfig has no DOM library, so the
// few page globals they use are declared here, for this file only.
declare const document: { querySelector(sel: string): { textContent: string | null } | null; querySelectorAll(sel: string): Iterable<{ textContent: string | null }> };
declare const window: Record<string, unknown>;
declare const sessionStorage: { getItem(key: string): string | null };
declare function getComputedStyle(e: unknown): { backgroundColor: string };

const HEARTBEAT_MS = 300;
const GRACE_MS = 1500;
const CLUSTER = 'lobby';
const NODE = 'cam-node-1';
/** A bound on waiting, not a measured time: readiness changes reach the page in milliseconds. */
const WAIT_MS = 20_000;
const ARTIFACTS = join(ROOT, 'test-artifacts');

const group = new ProcessGroup();
let root: string;
let hub: LiveHub;
let api: HubClient;
let joinToken: string;
let agent: Child;
let browser: Browser;

const row = (ready: boolean) => `#nodes tr[data-node="${CLUSTER}/${NODE}"][data-ready="${ready}"]`;

async function runAgent(): Promise<Child> {
  const a = startAgent(group, { hubUrl: hub.url, token: joinToken, nodeName: NODE, dataDir: join(root, 'agent') });
  await a.waitForLine(connectedLine(NODE, CLUSTER), WAIT_MS);
  return a;
}

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'vsm-dashboard-'));
  await mkdir(ARTIFACTS, { recursive: true });
  hub = await startHub(group, { dataDir: join(root, 'hub'), heartbeatMs: HEARTBEAT_MS, graceMs: GRACE_MS });
  api = await HubClient.login(hub.url);
  joinToken = await api.joinToken(CLUSTER);
  agent = await runAgent();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await group.killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the dashboard in headless Chromium, on a real hub and agent', () => {
  it('logs in, then shows a node turn red when its agent is killed and ready again when it returns, without reloading', async () => {
    const { page } = browser;
    await page.goto(`${hub.url}/`);
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', LIVE_ADMIN_PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector(row(true), { timeout: WAIT_MS });
    await page.waitForSelector('#live.on', { timeout: WAIT_MS });
    expect(await page.evaluate(() => sessionStorage.getItem('vsm.token'))).toMatch(/^eyJ/);
    expect(await page.textContent(`#clusters tr[data-cluster="${CLUSTER}"] td.state`)).toBe('1 / 1');
    const facts = await page.textContent(row(true));
    expect(facts).toContain('Linux');
    expect(facts).toContain('ready');

    // The heartbeat age ticks on the page (waits for the text to change; no clock involved).
    const ageCell = `${row(true)} td.age`;
    const age = await page.textContent(ageCell);
    await page.waitForFunction(([sel, before]) => document.querySelector(sel!)?.textContent !== before, [ageCell, age], { timeout: WAIT_MS });

    // A page that reloads loses this marker and counts a navigation.
    await page.evaluate(() => (window.vsmMarker = 'same page'));
    const navigations = browser.navigations();

    agent.proc.kill('SIGKILL');
    await agent.exited;
    await page.waitForSelector(row(false), { timeout: WAIT_MS });
    const red = await page.$eval(row(false), (tr) => ({ cls: tr.className, bg: getComputedStyle(tr).backgroundColor, text: tr.querySelector('td.state')?.textContent }));
    expect(red.cls).toContain('not-ready');
    expect(red.text).toBe('not ready');
    const [r, g, b] = red.bg.match(/\d+/g)!.map(Number) as [number, number, number];
    expect(r).toBeGreaterThan(g + 30);
    expect(r).toBeGreaterThan(b + 30);
    expect(await page.textContent(`#clusters tr[data-cluster="${CLUSTER}"] td.state`)).toBe('0 / 1');
    // The not-ready alert arrives on the same stream.
    await page.waitForFunction((node) => [...document.querySelectorAll('#alerts tr[data-alert]')].some((tr) => tr.textContent!.includes(node) && tr.textContent!.includes('nodeNotReady')), NODE, { timeout: WAIT_MS });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-not-ready.png'), fullPage: true });

    agent = await runAgent();
    await page.waitForSelector(row(true), { timeout: WAIT_MS });
    expect(await page.textContent(`#clusters tr[data-cluster="${CLUSTER}"] td.state`)).toBe('1 / 1');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    expect(await page.evaluate(() => window.vsmMarker)).toBe('same page');
    expect(browser.navigations()).toBe(navigations);
    expect(browser.errors).toEqual([]);
  });

  it('shows a user who may not read the fleet a notice instead of tables', async () => {
    const user = 'dash-pending';
    const reg = await fetch(`${hub.url}/v1/user`, {
      method: 'POST',
      body: JSON.stringify({ user, password: 'Passw0rdX', phone: '12345678', realName: 'Pending Viewer', isAdmin: false }),
    });
    expect(reg.status).toBe(200);
    const page = await browser.context.newPage();
    try {
      await page.goto(`${hub.url}/`);
      await page.fill('#login-user', user);
      await page.fill('#login-password', 'Passw0rdX');
      await page.click('#login-submit');
      await page.waitForSelector('#notice:not([hidden])', { timeout: WAIT_MS });
      expect(await page.textContent('#notice')).toMatch(/role 0/);
      expect(await page.isVisible('#nodes')).toBe(false);
      expect(await page.$$('#nodes tr[data-node]')).toEqual([]);
      expect(await page.textContent('#live')).toBe('offline');
    } finally {
      await page.close();
    }
  });

  it('renders Swagger UI on the OpenAPI document, from the hub alone', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    const hosts = new Set<string>();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => hosts.add(new URL(r.url()).host));
    try {
      await page.goto(`${hub.url}/docs`);
      await page.waitForSelector('.swagger-ui .info .title', { timeout: WAIT_MS });
      expect(await page.textContent('.swagger-ui .info .title')).toContain('VSM edge-fleet hub API');
      await page.waitForSelector('.opblock-summary-path[data-path="/v1/events"]', { timeout: WAIT_MS });
      expect(await page.$$('.opblock')).not.toHaveLength(0);
      expect(errors).toEqual([]);
      expect([...hosts]).toEqual([new URL(hub.url).host]);
      await page.screenshot({ path: join(ARTIFACTS, 'swagger-ui.png') });
    } finally {
      await page.close();
    }
  });

  it('refuses a wrong password on the login form with the API message', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${hub.url}/`);
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', 'wrong-Passw0rd');
      await page.click('#login-submit');
      await page.waitForFunction(() => (document.querySelector('#login-error')?.textContent ?? '') !== '', undefined, { timeout: WAIT_MS });
      expect(await page.isVisible('#fleet-view')).toBe(false);
      expect(await page.evaluate(() => sessionStorage.getItem('vsm.token'))).toBeNull();
    } finally {
      await page.close();
    }
  });
});
