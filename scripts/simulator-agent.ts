/**
 * One simulated edge agent: the real protocol (shared/src/protocol.ts, shared/src/codec.ts) over a
 * real WebSocket, behaving like agent/src/link.ts with AGENT_RUNTIME=none: hello, welcome and its
 * credential, heartbeats and pings at the hub's period, ack + status per desired state, a status
 * every 30 s, reconnection with capped exponential backoff and full jitter.
 */
import WebSocket from 'ws';
import { AGENT_BACKOFF_BASE_MS, AGENT_BACKOFF_CAP_MS, backoffDelay } from '../shared/src/backoff.js';
import { decode, encode } from '../shared/src/codec.js';
import {
  CloseCode,
  MAX_FRAME_BYTES,
  parseHubMessage,
  pingIntervalMs,
  PROTOCOL_VERSION,
  type AgentMessage,
  type Desired,
  type Facts,
  type Welcome,
} from '../shared/src/protocol.js';

/** What an agent needs from the fleet that runs it. */
export interface AgentHost {
  readonly wsUrl: string;
  joinToken(clusterName: string): string;
  /** Periodic work: heartbeat + ping (and an occasional status or facts) on the wheel. */
  schedule(a: SimAgent, inMs: number): void;
  unschedule(a: SimAgent): void;
  count(what: Counter, n?: number): void;
  /** The agent's connection changed: welcomed (true) or lost (false). */
  linked(a: SimAgent, up: boolean): void;
}

export type Counter = 'heartbeats' | 'pings' | 'statuses' | 'acks' | 'facts' | 'connects' | 'welcomes' | 'enrolled' | 'refused' | 'closed' | 'pingTimeouts';

export type KillMode = 'freeze' | 'close';

const STATUS_EVERY_MS = 30_000;
const WELCOME_TIMEOUT_MS = 10_000;
/** The wheel may run an item up to half a tick early. */
const EARLY_MS = 15;
const NONE_ERROR = 'this agent runs with AGENT_RUNTIME=none and cannot create namespaces or workloads';

export class SimAgent {
  private ws?: WebSocket;
  private attempt = 0;
  private retry?: NodeJS.Timeout;
  private welcomeTimer?: NodeJS.Timeout;
  private seq = 0;
  private pongSeen = true;
  private lastStatusAt = 0;
  private lastFactsAt = 0;
  private generation = 0;
  credential?: string;
  heartbeatMs = 5000;
  pingMs = 5000;
  private nextPingAt = 0;
  private nextBeatAt = 0;
  /** Up: welcomed on the current socket. */
  up = false;
  /** Killed by churn: no traffic, no reconnection until revived. */
  dead = false;

  constructor(
    readonly host: AgentHost,
    readonly nodeName: string,
    readonly clusterName: string,
    public facts: Facts,
    private readonly localAddress: string | undefined,
    private readonly factsEveryMs: number,
  ) {}

  connect(): void {
    if (this.dead) return;
    clearTimeout(this.retry);
    this.host.count('connects');
    const token = this.credential ?? this.host.joinToken(this.clusterName);
    const ws = new WebSocket(this.host.wsUrl, {
      headers: { Authorization: `Bearer ${token}` },
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
    });
    this.ws = ws;
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = res.statusCode === 401;
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      this.send(ws, {
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        agentVersion: '0.1.0-sim',
        nodeName: this.nodeName,
        runtime: 'none',
        facts: this.facts,
      });
      this.welcomeTimer = setTimeout(() => ws.terminate(), WELCOME_TIMEOUT_MS);
    });
    ws.on('message', (data, isBinary) => this.onMessage(ws, data as Buffer, isBinary));
    ws.on('pong', () => {
      this.pongSeen = true;
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      clearTimeout(this.welcomeTimer);
      if (ws !== this.ws) return;
      this.ws = undefined;
      this.setUp(false);
      this.host.count('closed');
      if (this.dead) return;
      // A refused credential or a deleted node: enroll again with the join token, at once.
      if (refused || code === CloseCode.unauthorized || code === CloseCode.nodeDeleted) {
        this.host.count('refused');
        const again = this.credential !== undefined;
        this.credential = undefined;
        if (again) return this.reconnectIn(0);
      }
      this.reconnectIn(backoffDelay(this.attempt++, AGENT_BACKOFF_BASE_MS, AGENT_BACKOFF_CAP_MS));
    });
  }

  private reconnectIn(ms: number): void {
    this.retry = setTimeout(() => this.connect(), ms);
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    if (up) this.host.linked(this, true);
    else {
      this.host.unschedule(this);
      this.host.linked(this, false);
    }
  }

  private send(ws: WebSocket, msg: AgentMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(encode(msg));
  }

  private onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (!isBinary) return;
    const parsed = parseHubMessage(decode(data));
    if (!parsed.ok) return;
    const msg = parsed.msg;
    if (msg.type === 'welcome') this.onWelcome(msg);
    else if (msg.type === 'desired') this.onDesired(ws, msg);
    else if (msg.type === 'request') this.send(ws, { type: 'response', id: msg.id, ok: false, error: NONE_ERROR });
  }

  private onWelcome(w: Welcome): void {
    clearTimeout(this.welcomeTimer);
    if (w.credential) {
      this.credential = w.credential;
      this.host.count('enrolled');
    }
    this.attempt = 0;
    this.pongSeen = true;
    this.heartbeatMs = w.heartbeatMs;
    this.pingMs = pingIntervalMs(w.heartbeatMs, w.graceMs);
    this.lastStatusAt = 0;
    this.lastFactsAt = performance.now();
    this.host.count('welcomes');
    this.setUp(true);
    const now = performance.now();
    this.nextPingAt = now + this.pingMs;
    this.nextBeatAt = now + this.heartbeatMs;
    this.host.schedule(this, Math.min(this.heartbeatMs, this.pingMs));
  }

  private onDesired(ws: WebSocket, d: Desired): void {
    this.generation = d.generation;
    this.send(ws, { type: 'ack', generation: d.generation });
    this.host.count('acks');
    this.sendStatus(ws);
  }

  private sendStatus(ws: WebSocket): void {
    this.lastStatusAt = performance.now();
    this.host.count('statuses');
    this.send(ws, { type: 'status', generation: this.generation, namespaces: [], instances: [] });
  }

  /** The wheel's periodic work: ping/pong dead-link check, heartbeat, occasional status and facts. */
  tick(): void {
    const ws = this.ws;
    if (!ws || !this.up || this.dead) return;
    const now = performance.now();
    if (now >= this.nextPingAt - EARLY_MS) {
      if (!this.pongSeen) {
        this.host.count('pingTimeouts');
        ws.terminate();
        return;
      }
      this.pongSeen = false;
      ws.ping();
      this.host.count('pings');
      this.nextPingAt = now + this.pingMs;
    }
    if (now >= this.nextBeatAt - EARLY_MS) {
      this.seq++;
      this.send(ws, { type: 'heartbeat', seq: this.seq, cpuLoad: (this.seq * 7) % 60, memLoad: 30 + (this.seq % 20) });
      this.host.count('heartbeats');
      this.nextBeatAt = now + this.heartbeatMs;
      if (now - this.lastStatusAt >= STATUS_EVERY_MS) this.sendStatus(ws);
      if (this.factsEveryMs > 0 && now - this.lastFactsAt >= this.factsEveryMs) {
        this.lastFactsAt = now;
        this.facts = { ...this.facts, disk: this.facts.disk + 4096 };
        this.send(ws, { type: 'facts', facts: this.facts });
        this.host.count('facts');
      }
    }
    this.host.schedule(this, Math.max(1, Math.min(this.nextBeatAt, this.nextPingAt) - now));
  }

  /** Churn: `freeze` goes silent with the socket open (a lost host), `close` drops it (a killed process). */
  kill(mode: KillMode): void {
    this.dead = true;
    clearTimeout(this.retry);
    this.host.unschedule(this);
    const ws = this.ws;
    if (!ws) return;
    if (mode === 'freeze') {
      // Nothing is read any more (pings go unanswered) and nothing is sent.
      ws.pause();
    } else {
      ws.terminate();
    }
  }

  /** Churn: the agent starts again with its saved credential. */
  revive(): void {
    if (!this.dead) return;
    this.dead = false;
    const old = this.ws;
    this.ws = undefined;
    if (old) {
      old.removeAllListeners('close');
      old.on('close', () => clearTimeout(this.welcomeTimer));
      old.terminate();
    }
    this.setUp(false);
    this.attempt = 0;
    this.connect();
  }

  /** Ends the agent for good (simulator exit). */
  stop(): void {
    this.dead = true;
    clearTimeout(this.retry);
    clearTimeout(this.welcomeTimer);
    this.ws?.terminate();
  }
}
