import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentRegistry } from '../../hub/src/agents/registry.js';
import { AppError } from '../../hub/src/errors.js';
import { EventBus, type FleetEvent } from '../../hub/src/services/events.js';
import { FakeLink, sessionInput } from '../helpers/fleet.js';

const GRACE = 15_000;

function setup() {
  const clock = { t: Date.UTC(2026, 0, 1), now() { return this.t; } };
  const bus = new EventBus();
  const events: FleetEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const registry = new AgentRegistry(clock, GRACE, bus);
  const connect = (nodeId: string, clusterName = 'c1', nodeName = nodeId) => {
    const link = new FakeLink();
    return { session: registry.attach(sessionInput({ id: nodeId, clusterName, nodeName }, link)), link };
  };
  /** Events since the last call, reduced to what the tests compare. */
  const drain = () => events.splice(0).map((e) => (e.kind === 'node.ready' ? `${e.nodeName}:${e.ready}` : e.kind === 'cluster.ready' ? `cluster ${e.clusterName}:${e.ready}` : e.kind));
  return { clock, registry, events, connect, drain };
}

describe('AgentRegistry readiness', () => {
  it('makes a node and its cluster ready when its agent attaches', () => {
    const { registry, connect, events, clock } = setup();
    const { session } = connect('n1');
    expect(registry.isReady('n1')).toBe(true);
    expect(session).toMatchObject({ connected: true, lastHeartbeat: clock.t, connectedAt: clock.t, ready: true });
    expect(events).toEqual([
      { kind: 'node.ready', clusterName: 'c1', nodeName: 'n1', ready: true, at: clock.t, reason: 'agent connected' },
      { kind: 'cluster.ready', clusterName: 'c1', ready: true, at: clock.t },
    ]);
    expect(registry.size).toBe(1);
  });

  it('keeps a node ready while heartbeats arrive inside the grace, with no events', () => {
    const { registry, connect, drain, clock } = setup();
    const { session } = connect('n1');
    drain();
    for (let i = 1; i <= 10; i++) {
      clock.t += GRACE - 1;
      registry.heartbeat(session, i, 10 + i, 50);
      expect(registry.sweep()).toBe(0);
      expect(registry.isReady('n1')).toBe(true);
    }
    expect(drain()).toEqual([]);
    expect(session).toMatchObject({ seq: 10, cpuLoad: 20, memLoad: 50 });
    expect(registry.heartbeatsReceived).toBe(10);
  });

  it('publishes not-ready once when the heartbeat goes stale, without flapping on later sweeps', () => {
    const { registry, connect, drain, clock } = setup();
    connect('n1');
    drain();
    clock.t += GRACE - 1;
    expect(registry.sweep()).toBe(0);
    expect(registry.isReady('n1')).toBe(true);
    clock.t += 1;
    expect(registry.isReady('n1')).toBe(false);
    expect(registry.sweep()).toBe(1);
    expect(drain()).toEqual(['n1:false', 'cluster c1:false']);
    for (let i = 0; i < 5; i++) {
      clock.t += 1000;
      expect(registry.sweep()).toBe(0);
    }
    expect(drain()).toEqual([]);
    expect(registry.isReady('n1')).toBe(false);
  });

  it('makes a stale node ready again on its next heartbeat', () => {
    const { registry, connect, drain, clock, events } = setup();
    const { session } = connect('n1');
    clock.t += GRACE + 5000;
    registry.sweep();
    drain();
    registry.heartbeat(session, 1, 0, 0);
    expect(registry.isReady('n1')).toBe(true);
    expect(events[0]).toMatchObject({ kind: 'node.ready', ready: true, reason: 'heartbeat resumed' });
    expect(drain()).toEqual(['n1:true', 'cluster c1:true']);
    expect(registry.sweep()).toBe(0);
  });

  it('makes a node not ready at once when its agent detaches', () => {
    const { registry, connect, drain, events } = setup();
    const { session } = connect('n1');
    drain();
    registry.detach(session, 'agent left: goodbye');
    expect(registry.isReady('n1')).toBe(false);
    expect(registry.get('n1')).toBeUndefined();
    expect(session.connected).toBe(false);
    expect(events[0]).toMatchObject({ kind: 'node.ready', ready: false, reason: 'agent left: goodbye' });
    expect(drain()).toEqual(['n1:false', 'cluster c1:false']);
    registry.heartbeat(session, 5, 0, 0);
    expect(registry.isReady('n1')).toBe(false);
    expect(registry.heartbeatsReceived).toBe(0);
  });

  it('detaching a stale node publishes nothing more', () => {
    const { registry, connect, drain, clock } = setup();
    const { session } = connect('n1');
    clock.t += GRACE;
    registry.sweep();
    drain();
    registry.detach(session, 'connection lost (1006)');
    expect(drain()).toEqual([]);
  });

  it('publishes cluster readiness when its first node becomes ready and when its last goes away', () => {
    const { registry, connect, drain, clock } = setup();
    const a = connect('a', 'c1').session;
    const b = connect('b', 'c1').session;
    const x = connect('x', 'c2').session;
    expect(drain()).toEqual(['a:true', 'cluster c1:true', 'b:true', 'x:true', 'cluster c2:true']);
    registry.detach(a, 'gone');
    expect(drain()).toEqual(['a:false']);
    clock.t += GRACE;
    registry.heartbeat(x, 1, 0, 0);
    registry.sweep();
    expect(drain()).toEqual(['b:false', 'cluster c1:false']);
    registry.heartbeat(b, 2, 0, 0);
    expect(drain()).toEqual(['b:true', 'cluster c1:true']);
    registry.detach(b, 'gone');
    registry.detach(x, 'gone');
    expect(drain()).toEqual(['b:false', 'cluster c1:false', 'x:false', 'cluster c2:false']);
  });
});

describe('AgentRegistry sessions', () => {
  it('closes the older link with 4000 when the same node attaches again, without a readiness blip', () => {
    const { registry, connect, drain } = setup();
    const first = connect('n1');
    drain();
    const second = connect('n1');
    expect(first.link.closed).toEqual({ code: 4000, reason: expect.stringMatching(/replaced/) });
    expect(first.session.connected).toBe(false);
    expect(second.link.closed).toBeUndefined();
    expect(registry.get('n1')).toBe(second.session);
    expect(drain()).toEqual([]);
    // The old socket's close event arrives later; it must not end the new session.
    registry.detach(first.session, 'connection lost (4000)');
    registry.heartbeat(first.session, 9, 0, 0);
    expect(registry.isReady('n1')).toBe(true);
    expect(second.session.seq).toBe(0);
    expect(drain()).toEqual([]);
    expect(registry.size).toBe(1);
  });

  it('replacing a stale session makes the node ready again', () => {
    const { registry, connect, drain, clock } = setup();
    connect('n1');
    clock.t += GRACE;
    registry.sweep();
    drain();
    connect('n1');
    expect(drain()).toEqual(['n1:true', 'cluster c1:true']);
  });
});

describe('AgentRegistry request/respond', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends a request and resolves with the response of the same id', async () => {
    const { registry, connect } = setup();
    const { session, link } = connect('n1');
    const p1 = registry.request('n1', 'logs', { tail: 5 });
    const p2 = registry.request('n1', 'logs', { tail: 7 });
    const [r1, r2] = link.sent.filter((m) => m.type === 'request');
    expect(r1).toMatchObject({ type: 'request', method: 'logs', params: { tail: 5 } });
    expect(r2).toMatchObject({ params: { tail: 7 } });
    if (r1?.type !== 'request' || r2?.type !== 'request') throw new Error('no requests sent');
    expect(r1.id).not.toBe(r2.id);
    registry.respond(session, 'not-a-pending-id', true, 'ignored');
    registry.respond(session, r2.id, true, { lines: ['b'] });
    registry.respond(session, r1.id, false, undefined, 'no such container');
    await expect(p2).resolves.toEqual({ lines: ['b'] });
    await expect(p1).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/no such container/) });
    expect(session.pending.size).toBe(0);
  });

  it('rejects with 503 when the node does not answer in time, and ignores a late answer', async () => {
    const { registry, connect } = setup();
    const { session, link } = connect('n1');
    const p = registry.request('n1', 'logs', {}, 2000);
    const caught = p.catch((e: unknown) => e);
    vi.advanceTimersByTime(1999);
    expect(session.pending.size).toBe(1);
    vi.advanceTimersByTime(1);
    const err = await caught;
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 503, message: expect.stringMatching(/within 2000 ms/) });
    const sent = link.sent.find((m) => m.type === 'request');
    if (sent?.type !== 'request') throw new Error('no request sent');
    registry.respond(session, sent.id, true, 'late');
    expect(session.pending.size).toBe(0);
  });

  it('rejects at once for a node that is not connected', async () => {
    const { registry } = setup();
    await expect(registry.request('nobody', 'logs', {})).rejects.toMatchObject({ status: 503 });
  });

  it('fails pending requests when the node detaches or is replaced', async () => {
    const { registry, connect } = setup();
    const first = connect('n1');
    const p1 = registry.request('n1', 'logs', {});
    const second = connect('n1');
    await expect(p1).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/reconnected/) });
    const p2 = registry.request('n1', 'logs', {});
    registry.detach(second.session, 'connection lost (1006)');
    await expect(p2).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/disconnected/) });
    expect(first.session.pending.size + second.session.pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('AgentRegistry ready counts and the ordered sweep', () => {
  /** What readyCount must say: isReady of every session, counted. */
  const bruteCount = (registry: AgentRegistry, now: number, clusterName?: string) => {
    let n = 0;
    for (const s of registry.all()) if ((clusterName === undefined || s.clusterName === clusterName) && registry.isReady(s.nodeId, now)) n++;
    return n;
  };

  it('counts ready nodes per cluster and in all, as heartbeats go stale and come back', () => {
    const { registry, connect, clock } = setup();
    const a = connect('a', 'c1').session;
    clock.t += 1000;
    const b = connect('b', 'c1').session;
    clock.t += 1000;
    connect('x', 'c2');
    expect([registry.readyCount(), registry.readyCount('c1'), registry.readyCount('c2'), registry.readyCount('nope')]).toEqual([3, 2, 1, 0]);
    // a goes stale; the sweep has not run yet, the count already says so.
    clock.t = a.lastHeartbeat + GRACE;
    expect([registry.readyCount(), registry.readyCount('c1')]).toEqual([2, 1]);
    expect(registry.sweep()).toBe(1);
    expect([registry.readyCount(), registry.readyCount('c1')]).toEqual([2, 1]);
    // a heartbeat moves a behind the others; b goes stale next.
    registry.heartbeat(a, 1, 0, 0);
    clock.t = b.lastHeartbeat + GRACE;
    expect([registry.readyCount(), registry.readyCount('c1'), registry.readyCount('c2')]).toEqual([2, 1, 1]);
    expect(registry.sweep()).toBe(1);
    expect(registry.isReady('a')).toBe(true);
    expect(registry.isReady('b')).toBe(false);
  });

  it('drops a detached or deleted node from the counts at once', () => {
    const { registry, connect } = setup();
    const a = connect('a', 'c1');
    connect('b', 'c1');
    registry.detach(a.session, 'node deleted');
    expect([registry.readyCount(), registry.readyCount('c1')]).toEqual([1, 1]);
    // The old socket's late heartbeat changes nothing.
    registry.heartbeat(a.session, 3, 0, 0);
    expect(registry.readyCount('c1')).toBe(1);
  });

  it('a node replaced by a newer connection is counted once', () => {
    const { registry, connect, clock } = setup();
    connect('a', 'c1');
    clock.t += GRACE + 1;
    registry.sweep();
    expect(registry.readyCount()).toBe(0);
    connect('a', 'c1');
    connect('a', 'c1');
    expect([registry.readyCount(), registry.readyCount('c1')]).toEqual([1, 1]);
  });

  it('stays right when the clock steps back: a stale node is counted and published ready again, the order comes back', () => {
    const { registry, connect, drain, clock } = setup();
    const a = connect('a').session;
    clock.t += 10_000;
    const b = connect('b').session;
    clock.t = a.lastHeartbeat + GRACE + 1;
    expect(registry.sweep()).toBe(1);
    drain();
    // The wall clock goes back 8 s: a's heartbeat is young enough again.
    clock.t -= 8_000;
    expect(registry.readyCount()).toBe(2);
    expect(registry.isReady('a')).toBe(true);
    expect(registry.sweep()).toBe(1);
    expect(drain()).toEqual(['a:true']);
    // a's heartbeat after the step carries an earlier time than b's, yet goes last: a goes
    // stale first though b comes first in the map.
    registry.heartbeat(a, 1, 0, 0);
    expect(a.lastHeartbeat).toBeLessThan(b.lastHeartbeat);
    clock.t += 1000;
    expect(registry.readyCount()).toBe(2);
    clock.t = a.lastHeartbeat + GRACE;
    expect(registry.readyCount()).toBe(1);
    expect(registry.sweep()).toBe(1);
    expect(drain()).toEqual(['a:false']);
    clock.t = b.lastHeartbeat + GRACE;
    expect(registry.readyCount()).toBe(0);
    expect(registry.sweep()).toBe(1);
    expect(drain()).toEqual(['b:false', 'cluster c1:false']);
    // Once both heartbeat again in order, the fast paths hold again and stay right.
    registry.heartbeat(b, 2, 0, 0);
    clock.t += 10;
    registry.heartbeat(a, 2, 0, 0);
    registry.sweep();
    clock.t = b.lastHeartbeat + GRACE;
    expect(registry.readyCount()).toBe(1);
    expect(registry.sweep()).toBe(1);
    expect(drain()).toEqual(['b:true', 'cluster c1:true', 'a:true', 'b:false']);
  });

  it('a heartbeat stamped after the clock stepped back is counted right with no sweep in between', () => {
    const { registry, connect, clock } = setup();
    const a = connect('a').session;
    clock.t += 10_000;
    const b = connect('b').session;
    clock.t -= 8_000;
    registry.heartbeat(a, 1, 0, 0);
    // a is last in the map but older than b; the clock then runs past b's heartbeat.
    clock.t = a.lastHeartbeat + GRACE;
    expect(clock.t).toBeLessThan(b.lastHeartbeat + GRACE);
    expect(registry.readyCount()).toBe(1);
    expect(registry.sweep()).toBe(1);
    expect(registry.isReady('a')).toBe(false);
  });

  it('a count asked for a moment before the latest one seen is still right', () => {
    const { registry, connect, clock } = setup();
    const a = connect('a').session;
    clock.t += GRACE + 1;
    registry.sweep();
    expect(registry.readyCount(undefined, a.lastHeartbeat + 1)).toBe(1);
    expect(registry.readyCount()).toBe(0);
  });

  it('matches isReady of every session through random heartbeats, detaches, sweeps and clock steps', () => {
    const { registry, connect, clock } = setup();
    // mulberry32, seeded: the same run every time.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
    const clusters = ['c1', 'c2', 'c3'];
    const modes = new Set<boolean>();
    for (let step = 0; step < 3000; step++) {
      const op = rand(100);
      const id = `n${rand(40)}`;
      if (op < 10) connect(id, clusters[Number(id.slice(1)) % 3]);
      else if (op < 55) {
        const s = registry.get(id);
        if (s) registry.heartbeat(s, step, 0, 0);
      } else if (op < 60) {
        const s = registry.get(id);
        if (s) registry.detach(s, 'gone');
      } else if (op < 75) registry.sweep();
      else if (op < 97) clock.t += rand(4000);
      else clock.t -= rand(GRACE * 2);
      const now = clock.now();
      for (const c of [undefined, ...clusters]) expect(registry.readyCount(c, now)).toBe(bruteCount(registry, now, c));
      if (op >= 60 && op < 75) for (const s of registry.all()) expect(s.ready).toBe(registry.isReady(s.nodeId, now));
      modes.add((registry as unknown as { ordered: boolean }).ordered);
    }
    // Both the fast paths and the fallback after a clock step were exercised.
    expect(modes).toEqual(new Set([true, false]));
  });
});

describe('AgentRegistry lastSeen', () => {
  it('counts a node not heard from since the hub started from start + the agents\' backoff cap', async () => {
    const { AGENT_BACKOFF_CAP_MS } = await import('../../shared/src/backoff.js');
    const { registry, clock, connect } = setup();
    const started = clock.t;
    expect(registry.lastSeen('never')).toBe(started + AGENT_BACKOFF_CAP_MS);
    clock.t += 5_000;
    const { session } = connect('back');
    expect(registry.lastSeen('back')).toBe(started + 5_000);
    clock.t += 1_000;
    registry.heartbeat(session, 1, 1, 1);
    registry.detach(session, 'connection lost');
    clock.t += 60_000;
    // Once seen, a node is gone from its last heartbeat, however early after the start.
    expect(registry.lastSeen('back')).toBe(started + 6_000);
  });
});
