import { randomUUID } from 'node:crypto';
import { AGENT_BACKOFF_CAP_MS } from '../../../shared/src/backoff.js';
import type { HubMessage, InstanceStatus } from '../../../shared/src/protocol.js';
import { AppError } from '../errors.js';
import type { EventBus } from '../services/events.js';
import type { Clock } from '../services/tokens.js';
import { isReady, type Liveness } from './readiness.js';

/** The socket side of a session, as the registry needs it. */
export interface AgentLink {
  send(msg: HubMessage): void;
  close(code: number, reason: string): void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One connected agent. */
export interface Session extends Liveness {
  nodeId: string;
  clusterName: string;
  nodeName: string;
  link: AgentLink;
  connectedAt: number;
  seq: number;
  cpuLoad: number;
  memLoad: number;
  /** Readiness as last published (the sweep compares it with the live value). */
  ready: boolean;
  sentGeneration: number;
  ackedGeneration: number;
  actualNamespaces: string[];
  /** Instance states from the agent's last status report. */
  instances: Map<string, InstanceStatus>;
  lastError?: string;
  pending: Map<string, Pending>;
}

/**
 * Agent sessions in memory. Readiness is computed from the last heartbeat on every read; one
 * sweep for all nodes (no timer per node) publishes readiness changes as events.
 *
 * `sessions` is kept in order of last heartbeat (a heartbeat moves its session to the end), so
 * the stale sessions are a prefix: the sweep and the ready counts walk only that prefix, not
 * every session. A clock that steps backwards breaks the order; until a full sweep finds it
 * restored, both fall back to scanning every session.
 */
export class AgentRegistry {
  private readonly sessions = new Map<string, Session>();
  /** Sessions whose published `ready` is true, per cluster and in all. */
  private readonly readyByCluster = new Map<string, number>();
  private readyTotal = 0;
  /** Whether `sessions` is in order of lastHeartbeat and every published `ready` was right at the latest clock reading. */
  private ordered = true;
  /** The latest clock reading seen; an earlier one means the clock stepped back. */
  private clockFloor = -Infinity;
  /** Last heartbeat per node, kept after disconnects (to tell how long a node has been gone). */
  private readonly lastSeenAt = new Map<string, number>();
  private readonly startedAt: number;
  heartbeatsReceived = 0;

  constructor(
    private readonly clock: Clock,
    readonly graceMs: number,
    private readonly events: EventBus,
    private readonly reconnectWindowMs = AGENT_BACKOFF_CAP_MS,
  ) {
    this.startedAt = clock.now();
  }

  /**
   * When the node was last heard from, to tell how long it has been gone. For a node not heard
   * from since the hub started: the hub's start plus the agents' longest reconnect backoff, the
   * moment by which its agent, if alive, has tried again. So a hub restart does not count nodes
   * whose agents are merely waiting out their backoff as gone (and move their workloads).
   */
  lastSeen(nodeId: string): number {
    const s = this.sessions.get(nodeId);
    return s ? s.lastHeartbeat : (this.lastSeenAt.get(nodeId) ?? this.startedAt + this.reconnectWindowMs);
  }

  get size(): number {
    return this.sessions.size;
  }

  get(nodeId: string): Session | undefined {
    return this.sessions.get(nodeId);
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  isReady(nodeId: string, now = this.clock.now()): boolean {
    return isReady(this.sessions.get(nodeId), now, this.graceMs);
  }

  private observe(now: number): void {
    if (now < this.clockFloor) this.ordered = false;
    else this.clockFloor = now;
  }

  /** Starts a session with fresh counters; an older session of the same node is closed (the newer connection wins). */
  attach(s: Pick<Session, 'nodeId' | 'clusterName' | 'nodeName' | 'link'>): Session {
    const now = this.clock.now();
    this.observe(now);
    const old = this.sessions.get(s.nodeId);
    const session: Session = {
      ...s,
      seq: 0,
      cpuLoad: 0,
      memLoad: 0,
      sentGeneration: 0,
      ackedGeneration: 0,
      actualNamespaces: [],
      connected: true,
      lastHeartbeat: now,
      connectedAt: now,
      ready: old?.ready ?? false,
      pending: new Map(),
      instances: new Map(),
    };
    if (old) {
      old.connected = false;
      this.failPending(old, 'the agent reconnected');
      old.link.close(4000, 'replaced by a newer connection');
    }
    this.sessions.delete(s.nodeId);
    this.sessions.set(s.nodeId, session);
    this.setReady(session, true, 'agent connected');
    return session;
  }

  heartbeat(session: Session, seq: number, cpuLoad: number, memLoad: number): void {
    if (this.sessions.get(session.nodeId) !== session) return;
    this.heartbeatsReceived++;
    session.lastHeartbeat = this.clock.now();
    this.observe(session.lastHeartbeat);
    // The freshest heartbeat goes last.
    this.sessions.delete(session.nodeId);
    this.sessions.set(session.nodeId, session);
    session.seq = seq;
    session.cpuLoad = cpuLoad;
    session.memLoad = memLoad;
    if (!session.ready) this.setReady(session, true, 'heartbeat resumed');
  }

  /** Ends a session: the node is not ready at once. */
  detach(session: Session, reason: string): void {
    session.connected = false;
    this.failPending(session, `node disconnected: ${reason}`);
    if (this.sessions.get(session.nodeId) !== session) return;
    this.lastSeenAt.set(session.nodeId, session.lastHeartbeat);
    this.sessions.delete(session.nodeId);
    this.setReady(session, false, reason);
  }

  /** Publishes readiness changes of nodes whose heartbeats went stale; O(stale sessions), run on one timer. */
  sweep(): number {
    const now = this.clock.now();
    this.observe(now);
    const full = !this.ordered;
    let changed = 0;
    let ascending = true;
    let prev = -Infinity;
    for (const s of this.sessions.values()) {
      const live = isReady(s, now, this.graceMs);
      // In order, every session after a live one is younger, hence live and published ready.
      if (live && !full) break;
      if (s.lastHeartbeat < prev) ascending = false;
      prev = s.lastHeartbeat;
      if (live !== s.ready) {
        // lagMs: how late the sweep noticed a stale heartbeat (past last heartbeat + grace), for metrics.
        this.setReady(s, live, live ? 'heartbeat resumed' : `no heartbeat for ${now - s.lastHeartbeat} ms`, live ? undefined : now - s.lastHeartbeat - this.graceMs);
        changed++;
      }
    }
    // Every published `ready` is right now; the fast paths hold again once the order does and no heartbeat is ahead of the clock.
    if (full && ascending && prev <= now) {
      this.ordered = true;
      this.clockFloor = now;
    }
    return changed;
  }

  /** How many nodes (of one cluster, or in all) are ready at `now`: what isReady would say of each, in O(stale sessions). */
  readyCount(clusterName?: string, now = this.clock.now()): number {
    const counts = (s: Session) => clusterName === undefined || s.clusterName === clusterName;
    let n = 0;
    // Out of order, or asked about a moment before the latest seen (a clock stepped back, or a
    // caller's stale `now`): published readiness may be wrong then, so every session is looked at.
    if (!this.ordered || now < this.clockFloor) {
      for (const s of this.sessions.values()) if (counts(s) && isReady(s, now, this.graceMs)) n++;
      return n;
    }
    n = clusterName === undefined ? this.readyTotal : (this.readyByCluster.get(clusterName) ?? 0);
    // Stale sessions the sweep has not reached yet are still published ready.
    for (const s of this.sessions.values()) {
      if (isReady(s, now, this.graceMs)) break;
      if (s.ready && counts(s)) n--;
    }
    return n;
  }

  private setReady(s: Session, ready: boolean, reason: string, lagMs?: number): void {
    if (s.ready === ready) return;
    s.ready = ready;
    const at = this.clock.now();
    const before = this.readyByCluster.get(s.clusterName) ?? 0;
    const after = before + (ready ? 1 : -1);
    this.readyByCluster.set(s.clusterName, after);
    this.readyTotal += ready ? 1 : -1;
    this.events.publish({ kind: 'node.ready', clusterName: s.clusterName, nodeName: s.nodeName, ready, at, reason, ...(lagMs !== undefined ? { lagMs } : {}) });
    if ((before === 0) !== (after === 0)) this.events.publish({ kind: 'cluster.ready', clusterName: s.clusterName, ready: after > 0, at });
  }

  /** Sends a request to a node's agent and waits for its response (correlated by id). */
  request(nodeId: string, method: string, params: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    const s = this.sessions.get(nodeId);
    if (!s || !s.connected) return Promise.reject(new AppError(503, 'the node is not connected'));
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        s.pending.delete(id);
        reject(new AppError(503, `the node did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      s.pending.set(id, { resolve, reject, timer });
      s.link.send({ type: 'request', id, method, params });
    });
  }

  respond(s: Session, id: string, ok: boolean, result: unknown, error?: string): void {
    const p = s.pending.get(id);
    if (!p) return;
    s.pending.delete(id);
    clearTimeout(p.timer);
    if (ok) p.resolve(result);
    else p.reject(new AppError(503, `the node answered: ${error ?? 'error'}`));
  }

  private failPending(s: Session, why: string): void {
    for (const p of s.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new AppError(503, why));
    }
    s.pending.clear();
  }
}
