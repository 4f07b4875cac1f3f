import { describe, expect, it } from 'vitest';
import { EventBus } from '../../hub/src/services/events.js';
import { AlertWebhook } from '../../hub/src/services/webhook.js';
import type { AlertRecord } from '../../hub/src/store/types.js';
import { silentLogger } from '../../shared/src/log.js';

const alert = (id: number): AlertRecord => ({ id, kind: 'nodeNotReady', clusterName: 'gz', nodeName: `n${id}`, message: `node n${id} is not ready`, createTime: 1_767_225_600 });

/** A webhook receiver answering from a script of statuses ('net' = connection refused). */
function receiver(script: (number | 'net')[]) {
  const calls: { url: string; body: any; headers: Headers }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, body: JSON.parse(String(init.body)), headers: new Headers(init.headers) });
    const next = script.shift() ?? 200;
    if (next === 'net') throw new TypeError('fetch failed');
    return new Response('{}', { status: next });
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

function hook(script: (number | 'net')[], over: { attempts?: number; maxQueue?: number } = {}) {
  const r = receiver(script);
  const delays: number[] = [];
  const results: string[] = [];
  const w = new AlertWebhook(
    { url: 'http://127.0.0.1:9/alerts', baseDelayMs: 1000, capDelayMs: 30_000, ...over },
    { log: silentLogger, fetch: r.fetch, sleep: async (ms) => void delays.push(ms), random: () => 0.5, onResult: (x) => results.push(x) },
  );
  return { w, ...r, delays, results };
}

describe('AlertWebhook', () => {
  it('POSTs each alert published on the bus as JSON, with the alert id for de-duplication', async () => {
    const bus = new EventBus();
    const h = hook([]);
    const stop = h.w.start(bus);
    bus.publish({ kind: 'alert', alert: alert(7), at: 1 });
    bus.publish({ kind: 'node.joined', clusterName: 'gz', nodeName: 'x', at: 1 });
    await h.w.idle();
    stop();
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.url).toBe('http://127.0.0.1:9/alerts');
    expect(h.calls[0]!.body).toEqual({ source: 'vsm-hub', alert: alert(7) });
    expect(h.calls[0]!.headers.get('content-type')).toBe('application/json');
    expect(h.calls[0]!.headers.get('x-vsm-alert-id')).toBe('7');
    expect(h.results).toEqual(['ok']);
  });

  it('retries network errors, timeouts, 429 and 5xx with growing delays, then delivers', async () => {
    const h = hook(['net', 503, 429, 408, 200]);
    h.w.enqueue(alert(1));
    await h.w.idle();
    expect(h.calls).toHaveLength(5);
    expect(new Set(h.calls.map((c) => c.headers.get('x-vsm-alert-id')))).toEqual(new Set(['1']));
    expect(h.delays).toEqual([750, 1500, 3000, 6000]);
    expect(h.results).toEqual(['retry', 'retry', 'retry', 'retry', 'ok']);
    expect(h.w.delivered).toBe(1);
  });

  it('gives up after the last attempt, and at once on a 4xx that a retry cannot fix', async () => {
    const h = hook([500, 500, 500, 400], { attempts: 3 });
    h.w.enqueue(alert(1));
    h.w.enqueue(alert(2));
    await h.w.idle();
    expect(h.calls.map((c) => c.body.alert.id)).toEqual([1, 1, 1, 2]);
    expect(h.results).toEqual(['retry', 'retry', 'failed', 'failed']);
    expect(h.w.failed).toBe(2);
  });

  it('delivers in order, one at a time, and drops the oldest when the queue is full', async () => {
    const h = hook([], { maxQueue: 2 });
    // The first delivery starts at once; 2, 3 and 4 queue behind it and 2 is dropped.
    for (const id of [1, 2, 3, 4]) h.w.enqueue(alert(id));
    await h.w.idle();
    expect(h.calls.map((c) => c.body.alert.id)).toEqual([1, 3, 4]);
  });
});
