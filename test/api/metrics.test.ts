import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNode, enrollNode } from '../helpers/fleet.js';
import { makeTestHub, type TestHub } from '../helpers/hub.js';
import { seedRoles, type RoleFixture } from '../helpers/roles.js';

let hub: TestHub;
let roles: RoleFixture;

/** GET /metrics parsed by a Prometheus text-format parser (it throws on a malformed line). */
async function scrape(): Promise<{ families: Map<string, MetricFamily>; text: string; contentType: string | null }> {
  const res = await hub.app.request('/metrics');
  expect(res.status).toBe(200);
  const text = await res.text();
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  return { families, text, contentType: res.headers.get('content-type') };
}

const family = (fams: Map<string, MetricFamily>, name: string) => {
  const f = fams.get(name);
  if (!f) throw new Error(`no metric ${name}; have ${[...fams.keys()].join(', ')}`);
  return f;
};
/**
 * The samples of one series name, read from text the parser has accepted: the parser folds the
 * buckets of a labelled histogram together, so per-label counts are read here.
 */
function series(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

const valueOf = (fams: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}) => {
  const s = family(fams, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return s === undefined ? undefined : Number(s.value ?? s.count);
};

beforeAll(async () => {
  hub = await makeTestHub();
  roles = await seedRoles(hub);
});

afterAll(async () => {
  await hub.cleanup();
});

describe('GET /metrics', () => {
  it('is Prometheus text format 0.0.4 that a parser reads, every sample line well formed', async () => {
    const { text, contentType, families } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+]?([0-9.eE+-]+|NaN|Inf)$/i);
    }
    for (const name of ['vsm_nodes', 'vsm_agents_connected', 'vsm_heartbeats_received_total', 'vsm_heartbeat_readiness_lag_seconds', 'vsm_http_request_duration_seconds', 'vsm_store_write_duration_seconds', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(families.has(name), name).toBe(true);
    }
    expect(family(families, 'vsm_http_request_duration_seconds').type).toBe('HISTOGRAM');
    expect(family(families, 'vsm_heartbeats_received_total').type).toBe('COUNTER');
  });

  it('counts nodes by cluster and readiness, connected agents and heartbeats', async () => {
    const [a, b, c] = await Promise.all([enrollNode(hub.ctx, 'gz', 'gz-1'), enrollNode(hub.ctx, 'gz', 'gz-2'), enrollNode(hub.ctx, 'bj', 'bj-1')]);
    const sa = connectNode(hub.ctx, a!).session;
    connectNode(hub.ctx, c!);
    const before = valueOf((await scrape()).families, 'vsm_heartbeats_received_total')!;
    hub.ctx.registry.heartbeat(sa, 1, 10, 20);
    hub.ctx.registry.heartbeat(sa, 2, 10, 20);
    const { families } = await scrape();
    expect(valueOf(families, 'vsm_nodes', { cluster: 'gz', ready: 'true' })).toBe(1);
    expect(valueOf(families, 'vsm_nodes', { cluster: 'gz', ready: 'false' })).toBe(1);
    expect(valueOf(families, 'vsm_nodes', { cluster: 'bj', ready: 'true' })).toBe(1);
    expect(valueOf(families, 'vsm_nodes', { cluster: 'bj', ready: 'false' })).toBeUndefined();
    expect(valueOf(families, 'vsm_cluster_ready', { cluster: 'gz' })).toBe(1);
    expect(valueOf(families, 'vsm_agents_connected')).toBe(2);
    expect(valueOf(families, 'vsm_heartbeats_received_total')).toBe(before + 2);
    expect(b).toBeDefined();
  });

  it('observes the heartbeat-to-readiness lag of a stale node found by the sweep', async () => {
    const n = await enrollNode(hub.ctx, 'lag', 'lag-1');
    connectNode(hub.ctx, n);
    const count = () => scrape().then(({ families }) => Number(family(families, 'vsm_heartbeat_readiness_lag_seconds').metrics[0]?.count ?? 0));
    const before = await count();
    hub.clock.advance(hub.ctx.config.nodeGraceMs + 250);
    expect(hub.ctx.registry.sweep()).toBeGreaterThan(0);
    const { families } = await scrape();
    const h = family(families, 'vsm_heartbeat_readiness_lag_seconds').metrics[0]!;
    expect(Number(h.count)).toBeGreaterThan(before);
    expect(Number(h.sum)).toBeGreaterThanOrEqual(0.25);
    expect(valueOf(families, 'vsm_nodes', { cluster: 'lag', ready: 'false' })).toBe(1);
  });

  it('times HTTP requests by route pattern and status, never by raw path', async () => {
    await hub.call('GET', '/v1/deploy/424242', { token: roles.a.admin.token });
    await hub.call('GET', '/v1/node', { token: roles.a.member.token });
    await hub.call('GET', '/v1/node', {});
    await hub.call('GET', '/no/such/path/777');
    const { text } = await scrape();
    const labels = series(text, 'vsm_http_request_duration_seconds_count').map((s) => s.labels);
    expect(labels).toContainEqual({ method: 'GET', route: '/v1/deploy/:id', status: '404' });
    expect(labels).toContainEqual({ method: 'GET', route: '/v1/node', status: '200' });
    expect(labels).toContainEqual({ method: 'GET', route: '/v1/node', status: '401' });
    expect(labels).toContainEqual({ method: 'GET', route: 'unmatched', status: '404' });
    expect(text).not.toContain('424242');
    expect(text).not.toContain('/no/such/path');
  });

  it('times store writes', async () => {
    const count = async () => series((await scrape()).text, 'vsm_store_write_duration_seconds_count').find((s) => s.labels.result === 'ok')?.value ?? 0;
    const before = await count();
    await hub.call('POST', '/v1/cluster/label', { token: roles.sysAdmin.token, body: { clusterName: ['gz'], clusterLabel: 'south' } });
    expect(await count()).toBeGreaterThan(before);
  });

  it('answers other methods with 404 in the envelope, and leaks no token or password', async () => {
    const r = await hub.call('POST', '/metrics', { body: {} });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ code: 404, message: expect.any(String) });
    const { text } = await scrape();
    for (const p of [roles.sysAdmin, roles.a.admin]) {
      expect(text).not.toContain(p.token);
      expect(text).not.toContain(p.password);
    }
  });
});
