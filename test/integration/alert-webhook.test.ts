import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedLine, HubClient, liveHubEnv, startAgent, startHub } from '../helpers/live-hub.js';
import { assertBuilt, pollUntil, ProcessGroup, type Child } from '../helpers/processes.js';

const CLUSTER = 'hooked';
const NODE = 'hooked-node';
const WAIT_MS = 20_000;

const group = new ProcessGroup();
let root: string;
let receiver: Server;
let hookUrl: string;
/** What the receiver got, and the statuses it answers with, in order (then 200). */
const received: { alertId: string | undefined; body: any }[] = [];
const answers = [500, 503];

const hubOptions = (env: Record<string, string>) => ({ dataDir: join(root, 'hub'), heartbeatMs: 300, graceMs: 1500, startTimeoutMs: WAIT_MS, env });

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'vsm-webhook-'));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ alertId: req.headers['x-vsm-alert-id'] as string | undefined, body: JSON.parse(body) });
      res.writeHead(answers.shift() ?? 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/vsm`;
});

afterAll(async () => {
  await group.killAll();
  await new Promise((r) => receiver?.close(r));
  if (root) await rm(root, { recursive: true, force: true });
});

describe('HUB_ALERT_WEBHOOK on a real hub', () => {
  it('stops the hub at start with one line naming the variable when it is not an http(s) URL', async () => {
    const hub = group.spawn('hub', 'hub/src/main.js', liveHubEnv(hubOptions({ HUB_ALERT_WEBHOOK: 'ftp://example.invalid/x' })));
    const exit = await hub.exited;
    expect(exit.code).toBe(1);
    expect(hub.lines.join('\n')).toMatch(/invalid HUB_ALERT_WEBHOOK=.*must be an http\(s\) URL/);
  });

  it('POSTs the not-ready alert of a killed agent, retrying a failing receiver, and lists it', async () => {
    const { child: hub, url } = await startHub(group, hubOptions({ HUB_ALERT_WEBHOOK: hookUrl }));
    const api = await HubClient.login(url);
    const token = await api.joinToken(CLUSTER);
    const agent: Child = startAgent(group, { hubUrl: url, token, nodeName: NODE, dataDir: join(root, 'agent') });
    await agent.waitForLine(connectedLine(NODE, CLUSTER), WAIT_MS);
    agent.proc.kill('SIGKILL');

    await pollUntil(async () => received.length, (n) => n >= 3, WAIT_MS);
    expect(received.map((r) => r.alertId)).toEqual([received[0]!.alertId, received[0]!.alertId, received[0]!.alertId]);
    const { alert } = received[0]!.body;
    expect(received[0]!.body.source).toBe('vsm-hub');
    expect(alert).toMatchObject({ kind: 'nodeNotReady', clusterName: CLUSTER, nodeName: NODE, id: Number(received[0]!.alertId) });

    const listed = await api.call('GET', `/v1/alert?clusterName=${CLUSTER}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toContainEqual(alert);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^vsm_alert_webhook_deliveries_total\{result="retry"\} 2$/m);
    expect(metrics).toMatch(/^vsm_alert_webhook_deliveries_total\{result="ok"\} 1$/m);
    expect(metrics).toMatch(/^vsm_alerts_raised_total\{kind="nodeNotReady"\} 1$/m);
    // The receiver's URL may carry a secret: it is never logged.
    expect(hub.lines.join('\n')).not.toContain(hookUrl);
  });
});
