import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentRegistry } from '../agents/registry.js';
import type { Store } from '../store/types.js';
import type { EventBus } from './events.js';
import type { EventLog } from './sse.js';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A store that reports its writes (the lowdb store does). */
export interface WriteObservable {
  onWrite?: (ms: number, ok: boolean) => void;
}

/** The agent gateway's counters (it is made after the metrics, by main). */
export interface GatewayCounters {
  pingsSent: number;
  refused: number;
}

export interface MetricsDeps {
  store: Store;
  registry: AgentRegistry;
  events: EventBus;
  eventLog: EventLog;
}

/**
 * The hub's Prometheus metrics (prom-client, one registry per hub): fleet gauges read at scrape
 * time, counters and histograms fed by the HTTP middleware, the store and the event bus, and
 * the process figures of prom-client's default collectors.
 */
export class MetricsService {
  readonly registry = new Registry();
  private readonly http: Histogram<'method' | 'route' | 'status'>;
  private readonly storeWrites: Histogram<'result'>;
  private readonly webhook: Counter<'result'>;
  private processMetrics = false;
  private gateway: GatewayCounters | undefined;

  constructor(d: MetricsDeps) {
    const registers = [this.registry];
    this.http = new Histogram({
      name: 'vsm_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (until the response starts), by route pattern, method and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.storeWrites = new Histogram({
      name: 'vsm_store_write_duration_seconds',
      help: 'Time to serialise, write and fsync the data file, by result',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.webhook = new Counter({ name: 'vsm_alert_webhook_deliveries_total', help: 'Alert webhook deliveries by result (ok, retry, failed)', labelNames: ['result'], registers });
    const lag = new Histogram({
      name: 'vsm_heartbeat_readiness_lag_seconds',
      help: 'How late after a node heartbeat went stale (last heartbeat + grace) the hub published the node not ready',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const changes = new Counter({ name: 'vsm_node_readiness_changes_total', help: 'Node readiness changes by new state', labelNames: ['ready'], registers });
    const alerts = new Counter({ name: 'vsm_alerts_raised_total', help: 'Alerts raised by kind', labelNames: ['kind'], registers });
    d.events.subscribe((e) => {
      if (e.kind === 'node.ready') {
        changes.inc({ ready: String(e.ready) });
        if (e.lagMs !== undefined) lag.observe(Math.max(0, e.lagMs) / 1000);
      } else if (e.kind === 'alert') alerts.inc({ kind: e.alert.kind });
    });

    new Gauge({
      name: 'vsm_nodes',
      help: 'Known nodes by cluster and readiness',
      labelNames: ['cluster', 'ready'],
      registers,
      collect() {
        this.reset();
        for (const c of d.store.clusters.all()) {
          const total = d.store.nodes.count(c.name);
          const ready = Math.min(total, d.registry.readyCount(c.name));
          if (ready > 0) this.set({ cluster: c.name, ready: 'true' }, ready);
          if (total - ready > 0) this.set({ cluster: c.name, ready: 'false' }, total - ready);
        }
      },
    });
    new Gauge({
      name: 'vsm_cluster_ready',
      help: '1 when at least one node of the cluster is ready',
      labelNames: ['cluster'],
      registers,
      collect() {
        this.reset();
        for (const c of d.store.clusters.all()) this.set({ cluster: c.name }, d.registry.readyCount(c.name) > 0 ? 1 : 0);
      },
    });
    new Gauge({ name: 'vsm_agents_connected', help: 'Agents connected over WebSocket', registers, collect() { this.set(d.registry.size); } });
    new Counter({
      name: 'vsm_heartbeats_received_total',
      help: 'Agent heartbeats received since the hub started',
      registers,
      collect() {
        this.reset();
        this.inc(d.registry.heartbeatsReceived);
      },
    });
    new Counter({
      name: 'vsm_events_published_total',
      help: 'Fleet events published (readiness, facts, instances, alerts)',
      registers,
      collect() {
        this.reset();
        this.inc(d.events.published);
      },
    });
    const gateway = () => this.gateway;
    const fromGateway = (name: string, help: string, read: (g: GatewayCounters) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          const g = gateway();
          if (g) this.inc(read(g));
        },
      });
    fromGateway('vsm_agent_pings_sent_total', 'WebSocket pings the hub sent to agents silent for a whole ping period', (g) => g.pingsSent);
    fromGateway('vsm_agent_upgrades_refused_total', 'Agent WebSocket upgrades refused (bad or expired token or credential)', (g) => g.refused);
    new Gauge({ name: 'vsm_event_streams', help: 'Open GET /v1/events streams', registers, collect() { this.set(d.eventLog.subscribers); } });
  }

  /** Observes one HTTP request; `route` is the matched pattern (never the raw path). */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method: HTTP_METHODS.has(method) ? method : 'OTHER', route, status: String(status) }, seconds);
  }

  /** Hooks the store's write reports (a store without the hook is left alone). */
  watchStore(store: object): void {
    if (!('onWrite' in store)) return;
    (store as WriteObservable).onWrite = (ms, ok) => this.storeWrites.observe({ result: ok ? 'ok' : 'error' }, ms / 1000);
  }

  /** Reads the agent gateway's counters at each scrape. */
  watchGateway(g: GatewayCounters): void {
    this.gateway = g;
  }

  webhookResult(result: 'ok' | 'retry' | 'failed'): void {
    this.webhook.inc({ result });
  }

  /** The exposition in Prometheus text format 0.0.4. */
  async text(): Promise<{ body: string; contentType: string }> {
    // Process figures start with the first scrape: hubs built in tests start no collectors.
    if (!this.processMetrics) {
      this.processMetrics = true;
      collectDefaultMetrics({ register: this.registry });
    }
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
