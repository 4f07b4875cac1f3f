import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../shared/src/log.js';
import { createApp } from '../../hub/src/app.js';
import { loadConfig } from '../../hub/src/config.js';
import { createContext, type HubContext } from '../../hub/src/context.js';
import { openLowdbStore, type LowdbStore } from '../../hub/src/store/lowdb-store.js';

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'Admin12345';

/** A clock that only moves when a test moves it. */
export class FakeClock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The response envelope of every endpoint. */
export interface Envelope {
  code: number;
  message: string;
  data?: any;
  total?: number;
  token?: string;
  meta?: Record<string, unknown>;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (malformed JSON, oversized bodies). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** A 5xx answer throws unless this is set: no endpoint may answer 500 to a client mistake. */
  allow5xx?: boolean;
}

export interface CallResult {
  status: number;
  body: Envelope;
  headers: Headers;
}

export interface TestHub {
  app: ReturnType<typeof createApp>;
  ctx: HubContext;
  store: LowdbStore;
  clock: FakeClock;
  dir: string;
  call(method: string, path: string, o?: CallOptions): Promise<CallResult>;
  login(user: string, password: string): Promise<string>;
  cleanup(): Promise<void>;
}

export interface TestHubOptions {
  /** More HUB_* settings. */
  env?: Record<string, string>;
  log?: Logger;
  /** Where the FakeClock starts (default 2026-01-01). */
  clockStart?: number;
  registryKey?: KeyObject;
  secretKey?: Uint8Array;
  /** The client address the app sees (Hono's node-server env); none by default. */
  clientIp?: string;
  /** With allow5xx, only a 503 passes (the registry unreachable); any other 5xx still throws. */
  only503?: boolean;
}

/** A hub on a real lowdb file in a temp dir, with a fake clock and the system admin bootstrapped. */
export async function makeTestHub(opts: TestHubOptions = {}): Promise<TestHub> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-test-'));
  const clock = new FakeClock(opts.clockStart);
  const log = opts.log ?? silentLogger;
  const config = loadConfig({ HUB_DATA_DIR: dir, ...opts.env });
  const store = await openLowdbStore(dir, log, clock.now);
  const ctx = createContext({ config, store, log, jwtKey: randomBytes(32), clock, registryKey: opts.registryKey, secretKey: opts.secretKey });
  await ctx.users.ensureSystemAdmin(ADMIN_USER, ADMIN_PASSWORD);
  const app = createApp(ctx);
  const env = opts.clientIp === undefined ? undefined : { incoming: { socket: { remoteAddress: opts.clientIp } } };

  const call = async (method: string, path: string, o: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = o.token;
    let payload: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(path, { method, headers, body: payload }, env);
    const text = await res.text();
    let body: Envelope;
    try {
      body = JSON.parse(text) as Envelope;
    } catch {
      throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (res.status >= 500 && !(o.allow5xx && (!opts.only503 || res.status === 503))) {
      throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    }
    return { status: res.status, body, headers: res.headers };
  };

  const login = async (user: string, password: string): Promise<string> => {
    const r = await call('POST', '/v1/authorization', { body: { user, password } });
    if (r.status !== 200 || !r.body.token) throw new Error(`login of ${user} failed: ${r.status} ${r.body.message}`);
    return r.body.token;
  };

  const cleanup = async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };

  return { app, ctx, store, clock, dir, call, login, cleanup };
}
