import WebSocket from 'ws';
import { decode, encode } from '../../shared/src/codec.js';
import { AGENT_WS_PATH, parseHubMessage, type AgentMessage, type HubMessage } from '../../shared/src/protocol.js';

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A hand-driven agent connection: sends whatever a test wants (including garbage) and records
 * what the hub answers and how it closes.
 */
export class RawAgent {
  readonly received: HubMessage[] = [];
  readonly closed: Promise<Closed>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((res) => ws.once('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const r = parseHubMessage(decode(data as Buffer));
      if (r.ok) this.received.push(r.msg);
      for (const w of this.waiters) w();
    });
  }

  /** Opens a connection with `token` as bearer; rejects with the HTTP status when the upgrade is refused. */
  static connect(hubUrl: string, token: string | undefined, path = AGENT_WS_PATH, o: { autoPong?: boolean } = {}): Promise<RawAgent> {
    const ws = new WebSocket(hubUrl.replace(/^http/, 'ws') + path, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      perMessageDeflate: false,
      maxPayload: 4 * 1024 * 1024,
      // Off: the hub's pings go unanswered, as from a frozen agent whose kernel still holds the link.
      autoPong: o.autoPong ?? true,
    });
    return new Promise((res, rej) => {
      ws.once('open', () => res(new RawAgent(ws)));
      ws.once('unexpected-response', (_req, resp) => {
        resp.resume();
        ws.terminate();
        rej(new UpgradeRefused(resp.statusCode ?? 0));
      });
      ws.once('error', (e) => rej(e));
    });
  }

  send(msg: AgentMessage | Record<string, unknown>): void {
    this.ws.send(encode(msg), { binary: true });
  }

  sendRaw(data: Buffer | string): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  /** Waits for a hub message of `type`; rejects when the socket closes first or after `timeoutMs`. */
  waitFor<T extends HubMessage['type']>(type: T, timeoutMs = 5000): Promise<Extract<HubMessage, { type: T }>> {
    return new Promise((res, rej) => {
      const check = () => {
        const m = this.received.find((x) => x.type === type);
        if (m) return finish(() => res(m as Extract<HubMessage, { type: T }>));
        if (this.ws.readyState === WebSocket.CLOSED) finish(() => rej(new Error(`closed before a ${type} message`)));
      };
      const timer = setTimeout(() => finish(() => rej(new Error(`no ${type} message within ${timeoutMs} ms`))), timeoutMs);
      const finish = (f: () => void) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        f();
      };
      this.waiters.push(check);
      void this.closed.then(check);
      check();
    });
  }

  /** The close code and reason, or a failure after `timeoutMs`. */
  async closedWithin(timeoutMs = 5000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`the hub did not close the connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, t]);
    } finally {
      clearTimeout(timer);
    }
  }

  terminate(): void {
    this.ws.terminate();
  }
}

export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

/** The HTTP status of a refused upgrade; throws when the upgrade is accepted. */
export async function upgradeStatus(hubUrl: string, token: string | undefined, path?: string): Promise<number> {
  try {
    const a = await RawAgent.connect(hubUrl, token, path);
    a.terminate();
  } catch (e) {
    if (e instanceof UpgradeRefused) return e.status;
    throw e;
  }
  throw new Error('the upgrade was accepted');
}
