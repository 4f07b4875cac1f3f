import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Child, ProcessGroup } from './processes.js';

export const LIVE_ADMIN_PASSWORD = 'Admin12345';

export interface HubOptions {
  dataDir: string;
  /** 0 picks a free one. */
  port?: number;
  heartbeatMs?: number;
  graceMs?: number;
  startTimeoutMs?: number;
  /** More HUB_* settings. */
  env?: Record<string, string>;
}

/** A hub process and the URL it printed. */
export interface LiveHub {
  child: Child;
  url: string;
  port: number;
  dataDir: string;
}

/** The HUB_* environment of a test hub on 127.0.0.1 (also for a hub expected to refuse to start). */
export function liveHubEnv(o: HubOptions): Record<string, string> {
  return {
    HUB_HOST: '127.0.0.1',
    HUB_PORT: String(o.port ?? 0),
    HUB_DATA_DIR: o.dataDir,
    HUB_ADMIN_PASSWORD: LIVE_ADMIN_PASSWORD,
    HUB_HEARTBEAT_MS: String(o.heartbeatMs ?? 500),
    HUB_NODE_GRACE_MS: String(o.graceMs ?? 2000),
    HUB_LOG_LEVEL: 'info',
    ...o.env,
  };
}

/** Starts `node dist/hub/src/main.js` and waits for `hub listening on http://HOST:PORT`. */
export async function startHub(group: ProcessGroup, o: HubOptions): Promise<LiveHub> {
  const child = group.spawn('hub', 'hub/src/main.js', liveHubEnv(o));
  const m = await child.waitForLine(/^hub listening on (http:\/\/127\.0\.0\.1:(\d+))$/, o.startTimeoutMs ?? 15_000);
  return { child, url: m[1]!, port: Number(m[2]), dataDir: o.dataDir };
}

export interface AgentOptions {
  hubUrl: string;
  token?: string;
  nodeName: string;
  dataDir: string;
  /** More AGENT_* settings, e.g. DOCKER_AGENT. */
  env?: Record<string, string>;
}

/** An agent that runs workloads with Docker and reconciles every 500 ms. */
export const DOCKER_AGENT = { AGENT_RUNTIME: 'docker', AGENT_RECONCILE_MS: '500' };

/** Starts `node dist/agent/src/main.js`, with AGENT_RUNTIME=none unless `env` says otherwise (it does not wait). */
export function startAgent(group: ProcessGroup, o: AgentOptions): Child {
  return group.spawn(`agent ${o.nodeName}`, 'agent/src/main.js', {
    AGENT_RUNTIME: 'none',
    AGENT_HUB_URL: o.hubUrl,
    AGENT_NODE_NAME: o.nodeName,
    AGENT_DATA_DIR: o.dataDir,
    ...(o.token ? { AGENT_TOKEN: o.token } : {}),
    ...o.env,
  });
}

/** The line an agent prints each time it (re)joins. */
export const connectedLine = (node: string, cluster: string) => new RegExp(`^agent connected node=${node} cluster=${cluster}$`);

export interface NodeRow {
  nodeName: string;
  clusterName: string;
  isReady: boolean;
  [k: string]: unknown;
}

/** A logged-in client of a live hub's REST API. */
export class HubClient {
  private constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static async login(baseUrl: string, password = LIVE_ADMIN_PASSWORD): Promise<HubClient> {
    const r = await fetch(`${baseUrl}/v1/authorization`, { method: 'POST', body: JSON.stringify({ user: 'admin', password }) });
    const body = (await r.json()) as { token?: string; message: string };
    if (!body.token) throw new Error(`login failed: ${r.status} ${body.message}`);
    return new HubClient(baseUrl, body.token);
  }

  /** The same session against a hub that came back on another URL (or the same). */
  at(baseUrl: string): HubClient {
    return new HubClient(baseUrl, this.token);
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: { code: number; message: string; data?: any; total?: number } }> {
    const r = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: this.token },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as { code: number; message: string; data?: any; total?: number } };
  }

  async joinToken(clusterName: string, ttlSeconds?: number): Promise<string> {
    const r = await this.call('POST', '/v1/cluster/token', { clusterName, ...(ttlSeconds ? { ttlSeconds } : {}) });
    if (r.status !== 200) throw new Error(`join token: ${r.status} ${r.body.message}`);
    return r.body.data.token as string;
  }

  /** GET /v1/node for one cluster (and optionally one name), every page. */
  async nodes(clusterName: string, nodeName?: string): Promise<NodeRow[]> {
    const q = new URLSearchParams({ clusterName, pageSize: '0', ...(nodeName ? { nodeName } : {}) });
    const r = await this.call('GET', `/v1/node?${q}`);
    if (r.status !== 200) throw new Error(`GET /v1/node: ${r.status} ${r.body.message}`);
    return r.body.data as NodeRow[];
  }

  /** The node's readiness, or undefined when the hub does not know it. */
  async isReady(clusterName: string, nodeName: string): Promise<boolean | undefined> {
    return (await this.nodes(clusterName, nodeName))[0]?.isReady;
  }
}

/** The hub's signing key, read from its data directory (to forge expired join tokens in tests). */
export async function hubJoinKey(dataDir: string): Promise<Uint8Array> {
  return Buffer.from((await readFile(join(dataDir, 'jwt.key'), 'utf8')).trim(), 'base64url');
}
