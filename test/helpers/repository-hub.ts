import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../shared/src/log.js';
import { createApp } from '../../hub/src/app.js';
import { loadConfig } from '../../hub/src/config.js';
import { createContext } from '../../hub/src/context.js';
import { generateSigningKey } from '../../hub/src/registry/keys.js';
import { openLowdbStore } from '../../hub/src/store/lowdb-store.js';
import { ADMIN_PASSWORD, ADMIN_USER, FakeClock, type CallOptions, type CallResult, type Envelope, type TestHub } from './hub.js';

export interface RepositoryHub extends TestHub {
  registryKey: KeyObject;
  secretKey: Uint8Array;
  /** Every log line the hub wrote (debug and up). */
  logs: string[];
}

/**
 * A hub like makeTestHub's (temp lowdb file, admin bootstrapped) with HUB_REGISTRY_URL, known keys and
 * its log lines captured. The clock is a FakeClock that starts at the real time (tokens go to registries).
 */
export async function makeRepositoryHub(o: { registryUrl?: string; clientIp?: string } = {}): Promise<RepositoryHub> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-repo-test-'));
  const clock = new FakeClock(Date.now());
  const config = loadConfig({ HUB_DATA_DIR: dir, ...(o.registryUrl ? { HUB_REGISTRY_URL: o.registryUrl } : {}) });
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', name: 'hub', write: (l) => logs.push(l) });
  const store = await openLowdbStore(dir, log, clock.now);
  const registryKey = generateSigningKey();
  const secretKey = randomBytes(32);
  const ctx = createContext({ config, store, log, jwtKey: randomBytes(32), clock, registryKey, secretKey });
  await ctx.users.ensureSystemAdmin(ADMIN_USER, ADMIN_PASSWORD);
  const app = createApp(ctx);
  const env = { incoming: { socket: { remoteAddress: o.clientIp ?? '127.0.0.9' } } };

  const call = async (method: string, path: string, c: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...c.headers };
    if (c.token !== undefined) headers.authorization = c.token;
    let payload: string | undefined = c.rawBody;
    if (c.body !== undefined) {
      payload = JSON.stringify(c.body);
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
    if (res.status >= 500 && !(c.allow5xx && res.status === 503)) {
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

  return { app, ctx, store, clock, dir, call, login, cleanup, registryKey, secretKey, logs };
}

/** `Authorization: Basic` for a registry account. */
export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
