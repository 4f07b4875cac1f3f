/**
 * Idle and slow HTTP clients are cut off (docs/security.md): a real hub process and raw TCP
 * sockets. A socket that sends nothing, one that sends its headers a byte at a time (slowloris)
 * and one that trickles its body (slow POST) are all closed by the hub, while a normal request
 * made meanwhile is answered. The hub allows headers 10 s and the whole request 30 s, checked
 * every second (hub/src/main.ts); with Node's default check (every 30 s) a slowloris held its
 * socket for up to 40 s, past the 20 s this test waits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type LiveHub } from '../helpers/live-hub.js';
import { assertBuilt, ProcessGroup, sleep } from '../helpers/processes.js';

const group = new ProcessGroup();
let root: string;
let hub: LiveHub;

/** A raw socket to the hub that records what came back and when it was closed. */
function open(): Promise<{ s: Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((res, rej) => {
    const s = connect(hub.port, '127.0.0.1');
    let data = '';
    s.setEncoding('utf8').on('data', (d: string) => (data += d));
    const started = Date.now();
    const closed = new Promise<number>((r) => s.once('close', () => r(Date.now() - started)));
    s.once('error', () => undefined);
    s.once('connect', () => res({ s, received: () => data, closed }));
    s.once('error', rej);
  });
}

/** Writes `text` one byte every `ms` until the socket is closed or the text is out. */
async function trickle(s: Socket, text: string, ms: number): Promise<void> {
  for (const ch of text) {
    if (s.destroyed || s.writableEnded) return;
    s.write(ch);
    await sleep(ms);
  }
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what} was still open after ${ms} ms`)))]);

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'vsm-slow-'));
  hub = await startHub(group, { dataDir: join(root, 'hub') });
});

afterAll(async () => {
  await group.killAll();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('idle and slow clients', () => {
  it('cuts off a silent socket, a slowloris and a slow POST, and keeps serving others meanwhile', { timeout: 90_000 }, async () => {
    const idle = await open();
    const loris = await open();
    const slowPost = await open();
    // Headers arrive one byte every 300 ms and would take minutes to finish.
    void trickle(loris.s, `GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n${'X-Pad: '.padEnd(400, 'a')}\r\n\r\n`, 300);
    // Complete headers, then a 1000-byte body at one byte every 200 ms (200 s).
    slowPost.s.write('POST /v1/authorization HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    void trickle(slowPost.s, '{'.padEnd(1000, ' '), 200);

    // Meanwhile the hub answers others at once.
    await sleep(2000);
    const r = await fetch(`${hub.url}/v1/openapi.json`);
    expect(r.status).toBe(200);

    const [idleMs, lorisMs, postMs] = await Promise.all([
      within(idle.closed, 20_000, 'the silent socket'),
      within(loris.closed, 20_000, 'the slowloris socket'),
      within(slowPost.closed, 60_000, 'the slow POST socket'),
    ]);
    expect(idleMs).toBeGreaterThanOrEqual(5000);
    expect(lorisMs).toBeGreaterThanOrEqual(5000);
    expect(postMs).toBeGreaterThanOrEqual(5000);
    // Whatever the hub said before closing, it was not a successful answer.
    for (const s of [loris, slowPost]) expect(s.received()).not.toMatch(/^HTTP\/1\.1 2/);
  });

  it('closes a kept-alive connection that stays idle after its request', { timeout: 30_000 }, async () => {
    const c = await open();
    c.s.write('GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await within(c.closed, 20_000, 'the idle keep-alive socket');
    expect(c.received()).toMatch(/^HTTP\/1\.1 200/);
  });
});
