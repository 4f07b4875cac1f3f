import type { Logger } from '../../../shared/src/log.js';
import type { WorkloadSpec } from '../../../shared/src/protocol.js';
import type { DesiredStatePusher } from '../agents/desired.js';
import type { AgentRegistry } from '../agents/registry.js';
import type { DeployRecord, InstanceRecord, NodeRecord, Store } from '../store/types.js';
import { appOf } from './apps.js';
import { hasLabel } from './labels.js';
import { plan, type Candidate } from './scheduler.js';
import { workloadSpecOf, type PullAuth } from './workload-spec.js';

/** Whether a deploy places instances on a node: one of its clusters, and its nodeLabel if it has one. */
export function selects(d: Pick<DeployRecord, 'clusterNames' | 'nodeLabel'>, n: NodeRecord): boolean {
  return d.clusterNames.includes(n.clusterName) && (!d.nodeLabel || hasLabel(n, d.nodeLabel));
}

export interface WorkloadOptions {
  graceMs: number;
  /** Extra wait after the grace before a lost node's replicas move (against flapping). */
  rescheduleDelayMs: number;
}

/**
 * Keeps every approved deployment's instances placed: plans them (pure scheduler), saves changed
 * placements, and pushes the desired state to the nodes whose workloads changed.
 */
export class WorkloadController {
  private running: Promise<void> | undefined;
  private again = false;
  private pullAuth: (businessId: number, repositoryId: string) => PullAuth | undefined = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly registry: AgentRegistry,
    private readonly desired: DesiredStatePusher,
    private readonly opts: WorkloadOptions,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    desired.setWorkloadSource((nodeId) => this.workloadsFor(nodeId));
  }

  /** Where pull credentials of a business's external repositories come from. */
  setPullAuthSource(fn: (businessId: number, repositoryId: string) => PullAuth | undefined): void {
    this.pullAuth = fn;
  }

  /** Every container a node must run. */
  workloadsFor(nodeId: string): WorkloadSpec[] {
    const out: WorkloadSpec[] = [];
    for (const d of this.store.deploys.all()) {
      if (d.status !== 1) continue;
      const app = appOf(this.store, d);
      if (!app) continue;
      for (const i of d.instances) {
        if (i.nodeId !== nodeId) continue;
        const v = app.versions.find((x) => x.version === i.version);
        if (!v) continue;
        const auth = v.repositoryId ? this.pullAuth(d.businessId, v.repositoryId) : undefined;
        out.push(workloadSpecOf(d, v, i, auth));
      }
    }
    return out;
  }

  /**
   * Plans every active deployment once; a call made while one runs makes it plan again and
   * resolves with it, so that a caller's await covers the changes made before its call.
   */
  tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async () => {
      try {
        do {
          this.again = false;
          await this.planAll();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    };
    this.running = run();
    return this.running;
  }

  private candidates(d: DeployRecord, now: number): Candidate[] {
    const lostAfter = this.opts.graceMs + this.opts.rescheduleDelayMs;
    const out: Candidate[] = [];
    for (const cluster of d.clusterNames) {
      for (const n of this.store.nodes.inCluster(cluster)) {
        if (!selects(d, n)) continue;
        const ready = this.registry.isReady(n.id, now);
        out.push({ nodeId: n.id, ready, lost: !ready && now - this.registry.lastSeen(n.id) > lostAfter });
      }
    }
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  }

  private health(nodeId: string, instanceId: string) {
    const st = this.registry.get(nodeId)?.instances.get(instanceId);
    return st ? { running: st.state === 'running', startedAt: st.startedAt } : undefined;
  }

  private async planAll(): Promise<void> {
    const now = this.now();
    const touched = new Set<string>();
    const writes: Promise<unknown>[] = [];
    for (const d of this.store.deploys.all()) {
      if (d.status !== 1) continue;
      const app = appOf(this.store, d);
      const v = app?.versions.find((x) => x.version === d.version);
      if (!v) continue;
      const known = d.instances.filter((i) => this.store.nodes.get(i.nodeId));
      const byId = new Map(known.map((i) => [i.instanceId, i]));
      let next = d.nextInstance;
      const placed = plan({
        deployType: v.deployType,
        replicas: v.replicas,
        target: d.version,
        maxSurge: v.maxSurge,
        maxUnavailable: v.maxUnavailable,
        minReadyMs: v.minReadySeconds * 1000,
        candidates: this.candidates(d, now),
        instances: known,
        health: (id) => this.health(byId.get(id)?.nodeId ?? '', id),
        exclusive: v.port.some((port) => port.hostPort !== undefined),
        now,
        newId: () => `d${d.id}-${next++}`,
      });
      if (sameInstances(placed, d.instances)) continue;
      for (const i of [...d.instances, ...placed]) touched.add(i.nodeId);
      writes.push(this.store.deploys.update(d.id, { instances: placed, nextInstance: next }));
      this.log.debug('deployment re-planned', { deployId: d.id, instances: placed.length });
    }
    await Promise.all(writes);
    if (touched.size) this.desired.pushNodes(touched);
  }

  /** Removes a deploy's instances from some nodes (node-label removal with deleteDeploy). */
  async removeFromNodes(label: string, nodeIds: Set<string>): Promise<number> {
    let removed = 0;
    const writes: Promise<unknown>[] = [];
    for (const d of this.store.deploys.all()) {
      if (d.status !== 1 || d.nodeLabel !== label) continue;
      const keep = d.instances.filter((i) => !nodeIds.has(i.nodeId));
      if (keep.length === d.instances.length) continue;
      removed += d.instances.length - keep.length;
      writes.push(this.store.deploys.update(d.id, { instances: keep }));
    }
    await Promise.all(writes);
    this.desired.pushNodes(nodeIds);
    return removed;
  }
}

function sameInstances(a: InstanceRecord[], b: InstanceRecord[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(b.map((i) => `${i.instanceId}@${i.nodeId}@${i.version}`));
  return a.every((i) => ids.has(`${i.instanceId}@${i.nodeId}@${i.version}`));
}
