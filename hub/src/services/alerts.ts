import type { Logger } from '../../../shared/src/log.js';
import type { AgentRegistry } from '../agents/registry.js';
import { pageOf } from '../store/paging.js';
import type { AlertRecord, PageQuery, Store } from '../store/types.js';
import type { EventBus } from './events.js';
import { assertCan } from './permissions.js';
import type { Caller } from './users.js';

export const HIGH_LOAD_PCT = 80;
export const HIGH_LOAD_FOR_MS = 30_000;
const KEEP = 5000;

/** Alerts (when enableAlert): node not ready, node CPU or memory above 80% for 30 s. */
export class AlertService {
  /** Since when each node's CPU/memory has been high, and whether that episode was alerted. */
  private readonly high = new Map<string, { since: number; alerted: boolean }>();
  /** Alerts being saved (a save answers after the store's write). */
  private readonly saving = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly registry: AgentRegistry,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  start(): () => void {
    return this.events.subscribe((e) => {
      if (e.kind === 'node.ready' && !e.ready) {
        this.track({ kind: 'nodeNotReady', clusterName: e.clusterName, nodeName: e.nodeName, message: `node ${e.nodeName} is not ready: ${e.reason}` });
      }
    });
  }

  private track(a: Omit<AlertRecord, 'id' | 'createTime'>): void {
    const p = this.raise(a).finally(() => this.saving.delete(p));
    this.saving.add(p);
  }

  /** Resolves once every alert raised so far is saved (or its save failed and was logged). */
  async settled(): Promise<void> {
    await Promise.all([...this.saving]);
  }

  private async raise(a: Omit<AlertRecord, 'id' | 'createTime'>): Promise<void> {
    if (!this.store.settings().enableAlert) return;
    try {
      const saved = await this.store.alerts.insert({ ...a, createTime: Math.floor(this.now() / 1000) }, KEEP);
      // Subscribers: the event stream, metrics and the webhook (HUB_ALERT_WEBHOOK).
      this.events.publish({ kind: 'alert', alert: saved, at: this.now() });
      this.log.warn('alert', { kind: a.kind, clusterName: a.clusterName, nodeName: a.nodeName });
    } catch (e) {
      this.log.error('saving an alert failed', { error: (e as Error).message });
    }
  }

  /**
   * Checks heartbeat loads; run on a timer. Only live heartbeats count: a node that is not ready
   * (or gone) forgets its episode, so after a reconnect it needs 30 s of high load again.
   */
  checkLoad(): void {
    const now = this.now();
    const seen = new Set<string>();
    for (const s of this.registry.all()) {
      if (!s.connected || !this.registry.isReady(s.nodeId, now)) continue;
      for (const [kind, value] of [['nodeCpuHigh', s.cpuLoad], ['nodeMemoryHigh', s.memLoad]] as const) {
        const key = `${s.nodeId}:${kind}`;
        if (value <= HIGH_LOAD_PCT) continue;
        seen.add(key);
        const h = this.high.get(key) ?? { since: now, alerted: false };
        this.high.set(key, h);
        if (!h.alerted && now - h.since >= HIGH_LOAD_FOR_MS) {
          h.alerted = true;
          const what = kind === 'nodeCpuHigh' ? 'CPU' : 'memory';
          this.track({ kind, clusterName: s.clusterName, nodeName: s.nodeName, message: `node ${s.nodeName} ${what} above ${HIGH_LOAD_PCT}% for ${Math.round((now - h.since) / 1000)} s` });
        }
      }
    }
    for (const key of this.high.keys()) if (!seen.has(key)) this.high.delete(key);
  }

  list(c: Caller, q: PageQuery & { clusterName?: string }) {
    assertCan(c.role, 'alert.read');
    let rows: readonly AlertRecord[] = this.store.alerts.all();
    if (q.clusterName) rows = rows.filter((a) => a.clusterName === q.clusterName);
    return pageOf(rows, q);
  }
}
