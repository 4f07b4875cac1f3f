import type { Logger } from '../../../shared/src/log.js';
import { signJoinToken } from '../agents/credentials.js';
import type { AgentRegistry } from '../agents/registry.js';
import { clusterReady } from '../agents/readiness.js';
import { notFound } from '../errors.js';
import { pageOf } from '../store/paging.js';
import type { ClusterRecord, Store } from '../store/types.js';
import { hasLabel } from './labels.js';
import { assertCan } from './permissions.js';
import type { Caller } from './users.js';

/** Clusters: listing with live readiness, labels, join tokens. */
export class ClusterService {
  constructor(
    private readonly store: Store,
    private readonly registry: AgentRegistry,
    private readonly joinKey: Uint8Array,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  list(c: Caller, q: { clusterLabel?: string; page: number; pageSize: number }) {
    assertCan(c.role, 'cluster.read');
    let rows: readonly ClusterRecord[] = [...this.store.clusters.all()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const label = q.clusterLabel;
    if (label !== undefined && label !== 'all') rows = rows.filter((r) => hasLabel(r, label));
    const now = this.now();
    const page = pageOf(rows, { page: q.page, pageSize: q.pageSize, order: 'asc' });
    return {
      items: page.items.map((r) => {
        // Counted by the registry (sessions of the cluster), not by a walk over the cluster's nodes.
        const ready = this.registry.readyCount(r.name, now);
        return {
          clusterName: r.name,
          nodeCount: this.store.nodes.count(r.name),
          isReady: clusterReady(ready),
          readyNodeCount: ready,
          labels: r.labels.map((l) => l.label),
          createTime: r.createTime,
        };
      }),
      total: page.total,
    };
  }

  private existing(names: string[]): ClusterRecord[] {
    return names.map((n) => {
      const r = this.store.clusters.get(n);
      if (!r) throw notFound(`cluster ${n}`);
      return r;
    });
  }

  async addLabel(c: Caller, names: string[], label: string): Promise<void> {
    assertCan(c.role, 'cluster.label');
    const t = Math.floor(this.now() / 1000);
    const rows = this.existing(names).filter((r) => !hasLabel(r, label));
    await Promise.all(rows.map((r) => this.store.clusters.setLabels(r.name, [...r.labels, { label, createTime: t }])));
  }

  async removeLabel(c: Caller, names: string[], label: string): Promise<void> {
    assertCan(c.role, 'cluster.label');
    const rows = this.existing(names).filter((r) => hasLabel(r, label));
    await Promise.all(rows.map((r) => this.store.clusters.setLabels(r.name, r.labels.filter((l) => l.label !== label))));
  }

  allLabels(c: Caller): string[] {
    assertCan(c.role, 'cluster.read');
    const set = new Set<string>();
    for (const r of this.store.clusters.all()) for (const l of r.labels) set.add(l.label);
    return [...set].sort();
  }

  labelsOf(c: Caller, name: string, q: { page: number; pageSize: number }) {
    assertCan(c.role, 'cluster.read');
    const r = this.store.clusters.get(name);
    if (!r) throw notFound(`cluster ${name}`);
    const page = pageOf(r.labels, { ...q, order: 'asc' });
    return { items: page.items.map((l) => ({ clusterLabel: l.label, createTime: l.createTime })), total: page.total };
  }

  /** POST /v1/cluster/token: a join token for agents of that cluster (the cluster appears with its first node). */
  async joinToken(c: Caller, clusterName: string, ttlS: number): Promise<string> {
    assertCan(c.role, 'cluster.token');
    this.log.info('join token issued', { clusterName, ttlS, by: c.user.id });
    return signJoinToken(this.joinKey, clusterName, ttlS, this.now());
  }
}
