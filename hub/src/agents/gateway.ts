import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decode, encode } from '../../../shared/src/codec.js';
import type { Logger } from '../../../shared/src/log.js';
import {
  AGENT_WS_PATH,
  CloseCode,
  MAX_FRAME_BYTES,
  parseAgentMessage,
  pingIntervalMs,
  PROTOCOL_VERSION,
  type AgentMessage,
  type Hello,
  type HubMessage,
  type InstanceStatus,
} from '../../../shared/src/protocol.js';
import { AppError } from '../errors.js';
import type { NodeService } from '../services/nodes.js';
import { tokenFromHeader, type Clock } from '../services/tokens.js';
import type { Store } from '../store/types.js';
import { parseNodeCredential, secretMatches, verifyJoinToken } from './credentials.js';
import type { DesiredStatePusher } from './desired.js';
import { TokenBucket } from './rate-limit.js';
import type { AgentRegistry, Session } from './registry.js';

/** Who is knocking: a new agent with a join token, or an enrolled node with its credential. */
type Admission = { kind: 'join'; clusterName: string } | { kind: 'node'; nodeId: string };

export interface GatewayOptions {
  heartbeatMs: number;
  graceMs: number;
  helloTimeoutMs?: number;
  /** Messages per second an agent may send on average, and in a burst. */
  ratePerSecond?: number;
  rateBurst?: number;
}

/**
 * The agents' WebSocket endpoint: authenticates the upgrade before accepting it, then speaks the
 * msgpack protocol: hello -> welcome + desired state, heartbeats, facts, acks, status, responses.
 */
export class AgentGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  /**
   * Per socket: when anything (a message or a pong) last came in, and when the unanswered ping was
   * sent (0: none). A message proves the link as well as a pong does, and agents heartbeat every
   * period, so only a socket silent for longer than a period is pinged: a live fleet hardly is
   * (at 10,000 agents, pinging every socket was 2,000 pings out and pongs in per second).
   */
  private readonly links = new WeakMap<WebSocket, { lastRx: number; pingAt: number }>();
  /** Pings sent since start (GET /metrics). */
  pingsSent = 0;
  /** Message budgets per enrolled node, kept across its connections: reconnecting does not refill one. */
  private readonly buckets = new Map<string, TokenBucket>();
  private pingTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  readonly pingMs: number;
  /**
   * Each socket is looked at twice per pingMs, but the sockets are spread over slices, one per
   * tick: 10,000 pings in one burst held the event loop (and every API request) for ~200 ms.
   */
  private readonly pingSlices: Set<WebSocket>[];
  private pingTick = 0;
  private nextSlice = 0;
  refused = 0;
  /**
   * Log budget for refused upgrades per remote address: a few lines at once, then one per 10 s
   * carrying how many were left unlogged. Every attempt is still answered (401), so a peer behind
   * the same address as real agents cannot lock them out; it only cannot flood the log.
   */
  private readonly refusalLogs = new Map<string, { bucket: TokenBucket; unlogged: number }>();

  constructor(
    private readonly deps: {
      store: Store;
      registry: AgentRegistry;
      nodes: NodeService;
      desired: DesiredStatePusher;
      joinKey: Uint8Array;
      clock: Clock;
      log: Logger;
      /** Called after each status report (the workload controller reacts). */
      onStatus?: (s: Session) => void;
      /** Called after each status report with the instance states it replaced (instance.state events). */
      onInstances?: (s: Session, before: ReadonlyMap<string, InstanceStatus>) => void;
    },
    private readonly opts: GatewayOptions,
  ) {
    // Dead links are found by ping/pong well inside the grace (see pingSlice).
    this.pingMs = pingIntervalMs(opts.heartbeatMs, opts.graceMs);
    this.pingSlices = Array.from({ length: Math.max(1, Math.min(100, Math.floor(this.pingMs / 50))) }, () => new Set<WebSocket>());
  }

  start(): void {
    this.pingTimer = setInterval(() => this.pingSlice(), this.pingMs / 2 / this.pingSlices.length);
    this.sweepTimer = setInterval(() => this.deps.registry.sweep(), Math.max(50, Math.min(1000, Math.floor(this.opts.graceMs / 10))));
    this.pingTimer.unref();
    this.sweepTimer.unref();
    this.deps.desired.start();
  }

  /** Says goodbye to every agent and closes their sockets. */
  stop(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.sweepTimer);
    this.deps.desired.stop();
    for (const ws of this.wss.clients) ws.close(CloseCode.goingAway, 'hub shutting down');
    this.wss.close();
  }

  /**
   * Looks at the sockets of the next slice (each socket every pingMs / 2). One silent for more than
   * 1.1 periods (its heartbeat is late) is pinged; one still silent at its next look, half a period
   * later, is cut off (the check says a quarter so that timer drift does not cost another look). A
   * link frozen at t is thus cut 8 to 10.5 s later with the default 5 s period (pinging every
   * socket every period cut it 5 to 10 s later); either way inside the 15 s grace.
   */
  private pingSlice(): void {
    const slice = this.pingSlices[this.pingTick++ % this.pingSlices.length]!;
    const now = this.deps.clock.now();
    for (const ws of slice) {
      const l = this.links.get(ws);
      if (!l) continue;
      if (l.pingAt && l.lastRx < l.pingAt) {
        if (now - l.pingAt >= this.pingMs / 4) ws.terminate();
        continue;
      }
      l.pingAt = 0;
      if (now - l.lastRx > this.pingMs * 1.1) {
        l.pingAt = now;
        ws.ping();
        this.pingsSent++;
      }
    }
  }

  /** Handles an HTTP upgrade: 404 off the agent path, 401 without a valid join token or node credential. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== AGENT_WS_PATH) return refuse(socket, 404, 'no such endpoint');
    void this.admit(req).then(
      (admission) => {
        if (!admission) {
          this.refused++;
          this.logRefusal(req.socket.remoteAddress ?? '');
          return refuse(socket, 401, 'a valid join token or node credential is required');
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, admission, req.socket.remoteAddress ?? ''));
      },
      () => refuse(socket, 500, 'internal error'),
    );
  }

  private logRefusal(remote: string): void {
    if (this.refusalLogs.size >= 10_000 && !this.refusalLogs.has(remote)) this.refusalLogs.clear();
    let r = this.refusalLogs.get(remote);
    if (!r) this.refusalLogs.set(remote, (r = { bucket: new TokenBucket(5, 0.1, this.deps.clock.now()), unlogged: 0 }));
    if (!r.bucket.take(this.deps.clock.now())) {
      r.unlogged++;
      return;
    }
    this.deps.log.warn('agent refused at upgrade', { remote, reason: 'bad or expired token', ...(r.unlogged ? { unloggedBefore: r.unlogged } : {}) });
    r.unlogged = 0;
  }

  private async admit(req: IncomingMessage): Promise<Admission | undefined> {
    const token = tokenFromHeader(req.headers.authorization);
    if (!token) return undefined;
    const cred = parseNodeCredential(token);
    if (cred) {
      const node = this.deps.store.nodes.get(cred.nodeId);
      return node && secretMatches(cred.secret, node.credentialHash) ? { kind: 'node', nodeId: node.id } : undefined;
    }
    const clusterName = await verifyJoinToken(this.deps.joinKey, token, this.deps.clock.now());
    return clusterName ? { kind: 'join', clusterName } : undefined;
  }

  private onConnection(ws: WebSocket, admission: Admission, remote: string): void {
    const log = this.deps.log.child({ remote });
    // A join-token connection has a budget of its own until its hello names the node; from then
    // on it draws on the node's budget like a connection with the node's credential.
    let bucket = this.bucketFor(admission);
    let session: Session | undefined;
    let helloSeen = false;
    const send = (m: HubMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(encode(m));
    };
    const close = (code: number, reason: string) => {
      if (code >= 4000 && code !== CloseCode.replaced) log.warn('agent connection closed by hub', { code, reason, node: session?.nodeName });
      ws.close(code, reason.slice(0, 120));
    };
    const link = { lastRx: this.deps.clock.now(), pingAt: 0 };
    this.links.set(ws, link);
    ws.on('pong', () => (link.lastRx = this.deps.clock.now()));
    const slice = this.pingSlices[this.nextSlice++ % this.pingSlices.length]!;
    slice.add(ws);
    const helloTimer = setTimeout(() => close(CloseCode.helloTimeout, 'no hello in time'), this.opts.helloTimeoutMs ?? 10_000);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const now = this.deps.clock.now();
      link.lastRx = now;
      if (!bucket.take(now)) return close(CloseCode.rateLimited, 'too many messages');
      if (!isBinary) return close(CloseCode.badMessage, 'binary msgpack frames only');
      let value: unknown;
      try {
        value = decode(data as Buffer);
      } catch {
        return close(CloseCode.badMessage, 'invalid msgpack frame');
      }
      const parsed = parseAgentMessage(value);
      if (!parsed.ok) return close(CloseCode.badMessage, `invalid message: ${parsed.error}`);
      const msg = parsed.msg;
      if (!helloSeen) {
        if (msg.type !== 'hello') return close(CloseCode.badMessage, 'the first message must be hello');
        helloSeen = true;
        clearTimeout(helloTimer);
        this.onHello(msg, admission, send, close).then(
          (s) => {
            session = s;
            if (s) bucket = this.bucketFor({ kind: 'node', nodeId: s.nodeId });
            if (s && ws.readyState !== ws.OPEN) this.deps.registry.detach(s, 'connection closed');
          },
          (e: unknown) => close(CloseCode.badMessage, e instanceof Error ? e.message : 'hello failed'),
        );
        return;
      }
      if (!session) return; // hello still being processed
      this.onMessage(session, msg, close, log);
    });

    ws.on('error', (e) => log.warn('agent socket error', { error: e.message, node: session?.nodeName }));
    ws.on('close', (code, reason) => {
      slice.delete(ws);
      clearTimeout(helloTimer);
      if (session) this.deps.registry.detach(session, code === CloseCode.normal ? `agent left: ${reason.toString() || 'goodbye'}` : `connection lost (${code})`);
    });
  }

  private bucketFor(admission: Admission): TokenBucket {
    const fresh = () => new TokenBucket(this.opts.rateBurst ?? 200, this.opts.ratePerSecond ?? 50, this.deps.clock.now());
    if (admission.kind !== 'node') return fresh();
    let b = this.buckets.get(admission.nodeId);
    if (!b) this.buckets.set(admission.nodeId, (b = fresh()));
    return b;
  }

  private async onHello(
    hello: Hello,
    admission: Admission,
    send: (m: HubMessage) => void,
    close: (code: number, reason: string) => void,
  ): Promise<Session | undefined> {
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      close(CloseCode.incompatible, `protocol version ${hello.protocolVersion} is not supported; this hub speaks ${PROTOCOL_VERSION}`);
      return undefined;
    }
    let nodeId: string;
    let credential: string | undefined;
    if (admission.kind === 'node') {
      const node = this.deps.store.nodes.get(admission.nodeId);
      if (!node) {
        close(CloseCode.unauthorized, 'node no longer exists');
        return undefined;
      }
      if (node.nodeName !== hello.nodeName) {
        close(CloseCode.unauthorized, `this credential belongs to node ${node.nodeName} of cluster ${node.clusterName}`);
        return undefined;
      }
      nodeId = node.id;
      await this.deps.nodes.report(node.id, hello.facts, hello.agentVersion, hello.runtime);
    } else {
      try {
        const r = await this.deps.nodes.enroll(admission.clusterName, hello);
        nodeId = r.node.id;
        credential = r.credential;
      } catch (e) {
        close(e instanceof AppError && e.status === 409 ? CloseCode.nameTaken : CloseCode.badMessage, (e as Error).message);
        return undefined;
      }
    }
    const node = this.deps.store.nodes.get(nodeId);
    if (!node) {
      // Deleted while the hello was being handled.
      close(CloseCode.unauthorized, 'node no longer exists');
      return undefined;
    }
    const session = this.deps.registry.attach({
      nodeId,
      clusterName: node.clusterName,
      nodeName: node.nodeName,
      link: { send, close },
    });
    send({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      nodeId,
      nodeName: node.nodeName,
      clusterName: node.clusterName,
      heartbeatMs: this.opts.heartbeatMs,
      graceMs: this.opts.graceMs,
      ...(credential ? { credential } : {}),
    });
    this.deps.desired.push(session);
    this.deps.log.info('agent connected', { nodeName: node.nodeName, clusterName: node.clusterName, enrolled: !!credential });
    return session;
  }

  private onMessage(s: Session, msg: AgentMessage, close: (code: number, reason: string) => void, log: Logger): void {
    switch (msg.type) {
      case 'heartbeat':
        this.deps.registry.heartbeat(s, msg.seq, msg.cpuLoad, msg.memLoad);
        return;
      case 'facts':
        void this.deps.nodes.report(s.nodeId, msg.facts).catch((e: Error) => log.error('saving facts failed', { error: e.message }));
        return;
      case 'ack':
        s.ackedGeneration = Math.max(s.ackedGeneration, msg.generation);
        return;
      case 'status': {
        const before = s.instances;
        s.actualNamespaces = msg.namespaces;
        s.instances = new Map(msg.instances.map((i) => [i.instanceId, i]));
        s.lastError = msg.error;
        this.deps.onInstances?.(s, before);
        this.deps.onStatus?.(s);
        return;
      }
      case 'response':
        this.deps.registry.respond(s, msg.id, msg.ok, msg.result, msg.error);
        return;
      case 'goodbye':
        this.deps.registry.detach(s, `agent left: ${msg.reason}`);
        close(CloseCode.normal, 'goodbye');
        return;
      case 'hello':
        close(CloseCode.badMessage, 'hello was already received');
        return;
    }
  }
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ code: status, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
