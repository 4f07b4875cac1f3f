/** The few REST calls the bench makes itself (as the system administrator). */
import type { Victim } from './simulator-fleet.js';
import { sleep } from './bench-util.js';

export class BenchApi {
  constructor(
    public url: string,
    readonly token: string,
  ) {}

  static async login(url: string, password: string): Promise<BenchApi> {
    const r = await fetch(`${url}/v1/authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password }),
    });
    const b = (await r.json()) as { token?: string; message?: string };
    if (!b.token) throw new Error(`login: ${r.status} ${b.message}`);
    return new BenchApi(url, b.token);
  }

  async get<T>(path: string): Promise<{ data: T; total?: number; meta?: Record<string, number> }> {
    const r = await fetch(this.url + path, { headers: { authorization: this.token } });
    const b = (await r.json()) as { code: number; message: string; data: T; total?: number; meta?: Record<string, number> };
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${b.message}`);
    return b;
  }

  async post(path: string, body: unknown): Promise<void> {
    const r = await fetch(this.url + path, {
      method: 'POST',
      headers: { authorization: this.token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (r.status !== 200) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
  }

  /** A counter from GET /metrics (undefined when the hub has no such metric). */
  async metric(name: string): Promise<number | undefined> {
    const r = await fetch(`${this.url}/metrics`).catch(() => undefined);
    if (!r || r.status !== 200) return undefined;
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await r.text());
    return m ? Number(m[1]) : undefined;
  }

  /** Ready nodes and all nodes, as GET /v1/node counts them. */
  async readiness(): Promise<{ ready: number; total: number }> {
    const b = await this.get<unknown[]>('/v1/node?pageSize=1&field=nodeName');
    return { ready: b.meta?.readyNodeCount ?? 0, total: b.total ?? 0 };
  }

  /** Polls until `want` nodes are ready; the time it took (ms) or an error after `timeoutMs`. */
  async waitReady(want: number, timeoutMs: number, everyMs = 200): Promise<number> {
    const t0 = performance.now();
    let last = { ready: 0, total: 0 };
    while (performance.now() - t0 < timeoutMs) {
      try {
        last = await this.readiness();
        if (last.ready >= want) return performance.now() - t0;
      } catch {
        // the hub may still be starting
      }
      await sleep(everyMs);
    }
    throw new Error(`only ${last.ready}/${want} nodes ready after ${timeoutMs} ms`);
  }

  /** Per victim: ms from its kill until the API showed it not ready (polling its clusters every `everyMs`). */
  async detect(victims: Victim[], timeoutMs: number, everyMs = 100): Promise<Map<Victim, number>> {
    const found = new Map<Victim, number>();
    const t0 = performance.now();
    while (found.size < victims.length && performance.now() - t0 < timeoutMs) {
      const open = victims.filter((v) => !found.has(v));
      const clusters = [...new Set(open.map((v) => v.clusterName))];
      await Promise.all(
        clusters.map(async (c) => {
          const b = await this.get<{ nodeName: string; isReady: boolean }[]>(`/v1/node?clusterName=${c}&pageSize=0&field=nodeName,isReady`);
          const at = Date.now();
          const notReady = new Set(b.data.filter((n) => !n.isReady).map((n) => n.nodeName));
          for (const v of open) if (v.clusterName === c && at >= v.killedAt && notReady.has(v.nodeName)) found.set(v, at - v.killedAt);
        }),
      );
      await sleep(everyMs);
    }
    return found;
  }

  /** Labels every `every`-th node of each cluster (for the label queries). */
  async labelNodes(byCluster: Map<string, string[]>, label: string): Promise<number> {
    let n = 0;
    for (const [clusterName, names] of byCluster) {
      for (let i = 0; i < names.length; i += 1000) {
        const chunk = names.slice(i, i + 1000);
        await this.post('/v1/node/label', { clusterName, nodeName: chunk, nodeLabel: label });
        n += chunk.length;
      }
    }
    return n;
  }
}
