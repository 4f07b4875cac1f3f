import type { Logger } from '../../../shared/src/log.js';
import type { DesiredStatePusher } from '../agents/desired.js';
import type { AgentRegistry } from '../agents/registry.js';
import { conflict, notFound } from '../errors.js';
import { pageOf } from '../store/paging.js';
import type { DeployRecord, PageQuery, Store } from '../store/types.js';
import { appOf, businessOf } from './apps.js';
import { assertCan } from './permissions.js';
import type { Caller } from './users.js';
import { selects, type WorkloadController } from './workloads.js';

export interface DeployInput {
  appName: string;
  version: string;
  clusterName: string[];
  nodeLabel?: string;
  comment: string;
}

/** Deployments: requests to run an app version on clusters, their audit, instances and logs. */
export class DeployService {
  constructor(
    private readonly store: Store,
    private readonly registry: AgentRegistry,
    private readonly workloads: WorkloadController,
    private readonly desired: DesiredStatePusher,
    private readonly log: Logger,
  ) {}

  /** POST /v1/deploy: waits for audit, or runs at once for an admin when enableAdminAutoDeploy. */
  async create(c: Caller, input: DeployInput): Promise<DeployRecord> {
    assertCan(c.role, 'deploy.create');
    const businessId = businessOf(c);
    const app = this.store.apps.get(businessId, input.appName);
    if (!app) throw notFound(`app ${input.appName}`);
    if (!app.versions.some((v) => v.version === input.version)) throw notFound(`version ${input.version} of app ${input.appName}`);
    for (const name of input.clusterName) if (!this.store.clusters.get(name)) throw notFound(`cluster ${name}`);
    const auto = c.role === 3 && this.store.settings().enableAdminAutoDeploy;
    const d = await this.store.deploys.insert({
      businessId,
      appName: input.appName,
      version: input.version,
      clusterNames: [...new Set(input.clusterName)],
      nodeLabel: input.nodeLabel ?? null,
      comment: input.comment,
      status: 0,
      auditComment: '',
      userId: c.user.id,
      instances: [],
      nextInstance: 1,
    });
    this.log.info('deploy requested', { deployId: d.id, app: d.appName, version: d.version, auto });
    return auto ? this.activate(d.id, 'auto-approved') : d;
  }

  /** Approves a deploy: it takes over the instances of the app's running deploy and rolls them. */
  private async activate(id: number, auditComment: string): Promise<DeployRecord> {
    const d = this.store.deploys.get(id)!;
    const prev = this.store.deploys.all().find((x) => x.id !== id && x.status === 1 && x.businessId === d.businessId && x.appName === d.appName);
    const writes: Promise<unknown>[] = [];
    let instances = d.instances;
    // Only instances on nodes the new deploy selects are taken over; the rest leave their nodes.
    const left = new Set<string>();
    if (prev) {
      instances = prev.instances.filter((i) => this.selects(d, i.nodeId)).map((i) => ({ ...i }));
      for (const i of prev.instances) if (!this.selects(d, i.nodeId)) left.add(i.nodeId);
      writes.push(this.store.deploys.update(prev.id, { status: 3, instances: [] }));
      this.log.info('deploy supersedes the running one', { deployId: id, previous: prev.id });
    }
    writes.unshift(this.store.deploys.update(id, { status: 1, auditComment, instances }));
    const [saved] = (await Promise.all(writes)) as [DeployRecord];
    if (left.size) this.desired.pushNodes(left);
    void this.workloads.tick();
    return saved;
  }

  /** Whether the deploy selects a node (see workloads.selects); false for a node that is gone. */
  private selects(d: DeployRecord, nodeId: string): boolean {
    const n = this.store.nodes.get(nodeId);
    return !!n && selects(d, n);
  }

  private visible(c: Caller, id: number): DeployRecord {
    assertCan(c.role, 'deploy.read');
    const d = this.store.deploys.get(id);
    if (!d || (c.role !== 4 && d.businessId !== c.user.businessId)) throw notFound(`deploy ${id}`);
    return d;
  }

  async audit(c: Caller, id: number, status: 1 | 2, auditComment: string): Promise<DeployRecord> {
    assertCan(c.role, 'deploy.audit');
    const d = this.visible(c, id);
    if (d.status !== 0) throw conflict(`deploy ${id} is not waiting for audit`);
    if (status === 2) return this.store.deploys.update(id, { status: 2, auditComment });
    return this.activate(id, auditComment);
  }

  async remove(c: Caller, id: number): Promise<void> {
    assertCan(c.role, 'deploy.delete');
    const d = this.visible(c, id);
    await this.store.deploys.remove(id);
    this.desired.pushNodes(new Set(d.instances.map((i) => i.nodeId)));
    this.log.info('deploy deleted', { deployId: id, by: c.user.id });
  }

  /** The deploy with per-instance state as the agents last reported it. */
  view(d: DeployRecord) {
    const app = appOf(this.store, d);
    const v = app?.versions.find((x) => x.version === d.version);
    return {
      id: d.id,
      appName: d.appName,
      version: d.version,
      deployType: v?.deployType,
      replicas: v?.replicas,
      clusterName: d.clusterNames,
      nodeLabel: d.nodeLabel,
      comment: d.comment,
      status: d.status,
      auditComment: d.auditComment,
      userId: d.userId,
      businessId: d.businessId,
      createTime: d.createTime,
      updateTime: d.updateTime,
      instances: d.instances.map((i) => {
        const node = this.store.nodes.get(i.nodeId);
        const st = this.registry.get(i.nodeId)?.instances.get(i.instanceId);
        return {
          instanceId: i.instanceId,
          nodeName: node?.nodeName,
          clusterName: node?.clusterName,
          version: i.version,
          state: st?.state ?? 'pending',
          restarts: st?.restarts ?? 0,
          exitCode: st?.exitCode,
          lastError: st?.error,
          startedAt: st?.startedAt ? Math.floor(st.startedAt / 1000) : undefined,
          cpuPct: st?.cpuPct,
          memBytes: st?.memBytes,
        };
      }),
    };
  }

  get(c: Caller, id: number) {
    return this.view(this.visible(c, id));
  }

  list(c: Caller, q: PageQuery & { appName?: string }) {
    assertCan(c.role, 'deploy.read');
    let rows = this.store.deploys.all().filter((d) => c.role === 4 || d.businessId === c.user.businessId);
    if (q.appName) rows = rows.filter((d) => d.appName === q.appName);
    const page = pageOf(rows, q);
    return { items: page.items.map((d) => this.view(d)), total: page.total };
  }

  /** GET /v1/deploy/[id]/log: the container's recent lines, fetched from the node's agent. */
  async logs(c: Caller, id: number, nodeName: string | undefined, tail: number): Promise<{ nodeName: string; instanceId: string; lines: string[] }> {
    const d = this.visible(c, id);
    const inst = d.instances.find((i) => !nodeName || this.store.nodes.get(i.nodeId)?.nodeName === nodeName);
    if (!inst) throw notFound(nodeName ? `an instance of deploy ${id} on node ${nodeName}` : `an instance of deploy ${id}`);
    const r = (await this.registry.request(inst.nodeId, 'logs', { instanceId: inst.instanceId, tail })) as { lines?: unknown };
    const lines = Array.isArray(r?.lines) ? r.lines.map(String) : [];
    return { nodeName: this.store.nodes.get(inst.nodeId)?.nodeName ?? '', instanceId: inst.instanceId, lines };
  }
}
