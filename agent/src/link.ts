import WebSocket from 'ws';
import { AGENT_BACKOFF_BASE_MS, AGENT_BACKOFF_CAP_MS, backoffDelay } from '../../shared/src/backoff.js';
import { decode, encode } from '../../shared/src/codec.js';
import type { Logger } from '../../shared/src/log.js';
import {
  CloseCode,
  MAX_FRAME_BYTES,
  parseHubMessage,
  pingIntervalMs,
  type AgentMessage,
  type Desired,
  type Hello,
  type HubMessage,
  type Welcome,
} from '../../shared/src/protocol.js';

export interface LinkHandlers {
  hello(): Promise<Hello>;
  welcome(w: Welcome): Promise<void>;
  desired(d: Desired): Promise<void>;
  request(method: string, params: Record<string, unknown>): Promise<unknown>;
  /** The token was refused (401 at upgrade or 4001); true when another credential is worth trying at once. */
  refused(why: string): Promise<boolean>;
}

export interface LinkOptions {
  wsUrl: string;
  /** The bearer token to present: the node credential, or the join token before enrollment. */
  token(): string | undefined;
  log: Logger;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** How long to wait for the welcome after sending hello. */
  welcomeTimeoutMs?: number;
}

/**
 * The agent's one WebSocket to the hub: hello, heartbeats at the hub's period, ping/pong
 * dead-link detection, and reconnection forever with capped exponential backoff and full jitter.
 */
export class HubLink {
  private ws?: WebSocket;
  private attempt = 0;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private timers: NodeJS.Timeout[] = [];
  private seq = 0;
  private loadFn: () => { cpuLoad: number; memLoad: number } = () => ({ cpuLoad: 0, memLoad: 0 });
  connected = false;

  constructor(
    private readonly opts: LinkOptions,
    private readonly h: LinkHandlers,
  ) {}

  /** Heartbeat load readings come from here. */
  setLoad(fn: () => { cpuLoad: number; memLoad: number }): void {
    this.loadFn = fn;
  }

  start(): void {
    this.connect();
  }

  send(msg: AgentMessage): boolean {
    if (!this.connected || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encode(msg));
    return true;
  }

  /** Says goodbye and closes; resolves once the socket is closed (or after 2 s). */
  async stop(reason: string): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.clearTimers();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    if (this.connected) this.send({ type: 'goodbye', reason });
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      ws.close(CloseCode.normal, reason.slice(0, 120));
    });
  }

  private clearTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private scheduleReconnect(immediate = false): void {
    if (this.stopped) return;
    const delay = immediate ? 0 : backoffDelay(this.attempt++, this.opts.backoffBaseMs ?? AGENT_BACKOFF_BASE_MS, this.opts.backoffCapMs ?? AGENT_BACKOFF_CAP_MS);
    this.opts.log.debug('reconnecting', { inMs: delay, attempt: this.attempt });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private connect(): void {
    if (this.stopped) return;
    const token = this.opts.token();
    const log = this.opts.log;
    const ws = new WebSocket(this.opts.wsUrl, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    let refusedAtUpgrade = false;
    let welcomed = false;

    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      ws.terminate();
      if (status === 401) {
        refusedAtUpgrade = true;
      } else {
        log.warn('hub refused the connection', { status });
      }
    });

    ws.on('open', () => {
      void this.h.hello().then(
        (hello) => ws.send(encode(hello)),
        (e: Error) => {
          log.error('could not build hello', { error: e.message });
          ws.terminate();
        },
      );
      const welcomeTimer = setTimeout(() => {
        if (!welcomed) {
          log.warn('no welcome from the hub in time');
          ws.terminate();
        }
      }, this.opts.welcomeTimeoutMs ?? 10_000);
      this.timers.push(welcomeTimer);
    });

    ws.on('message', (data, isBinary) => {
      let msg: HubMessage;
      try {
        if (!isBinary) throw new Error('text frame');
        const parsed = parseHubMessage(decode(data as Buffer));
        if (!parsed.ok) throw new Error(parsed.error);
        msg = parsed.msg;
      } catch (e) {
        log.warn('bad message from the hub', { error: (e as Error).message });
        return;
      }
      if (msg.type === 'welcome') {
        welcomed = true;
        void this.h.welcome(msg).then(() => this.onWelcome(ws, msg as Welcome));
      } else if (msg.type === 'desired') {
        void this.h.desired(msg).catch((e: Error) => log.error('applying desired state failed', { error: e.message }));
      } else if (msg.type === 'request') {
        void this.h.request(msg.method, msg.params ?? {}).then(
          (result) => this.send({ type: 'response', id: msg.id, ok: true, result }),
          (e: Error) => this.send({ type: 'response', id: msg.id, ok: false, error: e.message }),
        );
      } else if (msg.type === 'goodbye') {
        log.info('hub said goodbye', { reason: msg.reason });
      }
    });

    ws.on('error', (e) => log.debug('link error', { error: e.message }));

    ws.on('close', (code, reasonBuf) => {
      const reason = reasonBuf.toString();
      const wasConnected = this.connected;
      this.connected = false;
      this.clearTimers();
      if (this.stopped) return;
      if (wasConnected) log.warn('disconnected from hub', { code, reason });
      else if (code !== 1006) log.warn('hub closed the connection', { code, reason });
      if (refusedAtUpgrade || code === CloseCode.unauthorized || code === CloseCode.nodeDeleted) {
        const why = refusedAtUpgrade ? 'the hub refused the token at upgrade (401)' : reason || 'credential refused';
        void this.h.refused(why).then((again) => this.scheduleReconnect(again));
        return;
      }
      this.scheduleReconnect();
    });
  }

  private onWelcome(ws: WebSocket, w: Welcome): void {
    if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
    this.connected = true;
    this.attempt = 0;
    this.clearTimers();
    this.timers.push(
      setInterval(() => {
        const { cpuLoad, memLoad } = this.loadFn();
        this.send({ type: 'heartbeat', seq: ++this.seq, cpuLoad, memLoad });
      }, w.heartbeatMs),
    );
    // Dead-link detection: a ping per period; no pong by the next one ends the link.
    const pingMs = pingIntervalMs(w.heartbeatMs, w.graceMs);
    let alive = true;
    ws.on('pong', () => {
      alive = true;
    });
    this.timers.push(
      setInterval(() => {
        if (!alive) {
          this.opts.log.warn('hub stopped answering pings; reconnecting');
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, pingMs),
    );
  }

  /** Sends facts when they changed (the caller compares). */
  sendFacts(facts: Hello['facts']): boolean {
    return this.send({ type: 'facts', facts });
  }
}
