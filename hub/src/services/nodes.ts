import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../shared/src/log.js';
import type { Facts, Hello } from '../../../shared/src/protocol.js';
import { hashSecret, newNodeCredential, secretMatches } from '../agents/credentials.js';
import type { AgentRegistry } from '../agents/registry.js';
import { conflict, notFound } from '../errors.js';
import type { LabelRecord, NodeRecord, Store } from '../store/types.js';
import type { EventBus } from './events.js';
import { hasLabel } from './labels.js';
import { assertCan } from './permissions.js';
import type { Caller } from './users.js';

/** Fields of a node as GET /v1/node shows them; `field=` picks among these. */
export const NODE_FIELDS = [
  'nodeName',
  'clusterName',
  'operatingSystem',
  'kernelVersion',
  'ip',
  'memory',
  'cpu',
  'gpu',
  'disk',
  'isReady',
  'labels',
  'agentVersion',
  'lastHeartbeatAgeMs',
  'cpuLoad',
  'memLoad',
  'createTime',
  'updateTime',
] as const;
export type NodeField = (typeof NODE_FIELDS)[number];

export interface NodeQuery {
  clusterName?: string;
  nodeName?: string;
  nodeLabel?: string;
  fields?: NodeField[];
  page: number;
  pageSize: number;
}

const sameFacts = (a: Facts, b: Facts) => JSON.stringify(a) === JSON.stringify(b);

/** Nodes: enrollment of agents, facts, labels, listing with live readiness. */
export class NodeService {
  constructor(
    private readonly store: Store,
    private readonly registry: AgentRegistry,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** First join of an agent with a join token: a new node identity and credential, or 409 if the name is taken. */
  async enroll(clusterName: string, hello: Hello): Promise<{ node: NodeRecord; credential: string }> {
    await this.store.clusters.ensure(clusterName);
    const taken = this.store.nodes.byName(clusterName, hello.nodeName);
    if (taken) {
      if (hello.enrollProof && taken.enrollProofHash && secretMatches(hello.enrollProof, taken.enrollProofHash)) {
        // The same agent again: its welcome was lost before it saved the credential. A new one replaces it.
        const { credential, hash } = newNodeCredential(taken.id);
        const node = await this.store.nodes.update(taken.id, { credentialHash: hash });
        this.log.info('node enrollment repeated by the same agent; credential reissued', { clusterName, nodeName: node.nodeName });
        return { node, credential };
      }
      throw conflict(`node name ${hello.nodeName} is taken in cluster ${clusterName} by another identity`);
    }
    const id = randomUUID();
    const { credential, hash } = newNodeCredential(id);
    const node = await this.store.nodes.insert({
      id,
      nodeName: hello.nodeName,
      clusterName,
      credentialHash: hash,
      ...(hello.enrollProof ? { enrollProofHash: hashSecret(hello.enrollProof) } : {}),
      facts: hello.facts,
      agentVersion: hello.agentVersion,
      runtime: hello.runtime,
    });
    this.log.info('node enrolled', { clusterName, nodeName: node.nodeName, nodeId: id });
    this.events.publish({ kind: 'node.joined', clusterName, nodeName: node.nodeName, at: this.now() });
    return { node, credential };
  }

  /** Saves facts, agent version and runtime when they changed (never on heartbeats). */
  async report(nodeId: string, facts: Facts, agentVersion?: string, runtime?: string): Promise<void> {
    const n = this.store.nodes.get(nodeId);
    if (!n) return;
    const factsChanged = !sameFacts(n.facts, facts);
    const changed = factsChanged || (agentVersion !== undefined && agentVersion !== n.agentVersion) || (runtime !== undefined && runtime !== n.runtime);
    if (!changed) return;
    await this.store.nodes.update(nodeId, { facts, agentVersion: agentVersion ?? n.agentVersion, runtime: runtime ?? n.runtime });
    if (factsChanged) this.events.publish({ kind: 'node.facts', clusterName: n.clusterName, nodeName: n.nodeName, at: this.now() });
  }

  /** The node as the API shows it, with live readiness and load. */
  view(n: NodeRecord, now: number): Record<NodeField, unknown> {
    const s = this.registry.get(n.id);
    return {
      nodeName: n.nodeName,
      clusterName: n.clusterName,
      operatingSystem: n.facts.operatingSystem,
      kernelVersion: n.facts.kernelVersion,
      ip: n.facts.ip,
      memory: n.facts.memory,
      cpu: n.facts.cpu,
      gpu: n.facts.gpu,
      disk: n.facts.disk,
      isReady: this.registry.isReady(n.id, now),
      labels: n.labels.map((l) => l.label),
      agentVersion: n.agentVersion,
      lastHeartbeatAgeMs: s ? now - s.lastHeartbeat : null,
      cpuLoad: s?.cpuLoad ?? null,
      memLoad: s?.memLoad ?? null,
      createTime: n.createTime,
      updateTime: n.updateTime,
    };
  }

  list(c: Caller, q: NodeQuery) {
    assertCan(c.role, 'node.read');
    // Start from the smaller index (cluster or label), then filter by the rest; the order is cluster then name either way.
    const inCluster = q.clusterName !== undefined ? this.store.nodes.inCluster(q.clusterName) : undefined;
    const withLabel = q.nodeLabel !== undefined ? this.store.nodes.withLabel(q.nodeLabel) : undefined;
    let rows: readonly NodeRecord[];
    if (withLabel && (!inCluster || withLabel.length < inCluster.length)) {
      rows = q.clusterName !== undefined ? withLabel.filter((n) => n.clusterName === q.clusterName) : withLabel;
    } else {
      rows = inCluster ?? this.store.nodes.all();
      const label = q.nodeLabel;
      if (label !== undefined) rows = rows.filter((n) => hasLabel(n, label));
    }
    if (q.nodeName !== undefined) rows = rows.filter((n) => n.nodeName === q.nodeName);
    const now = this.now();
    let ready = 0;
    if (q.nodeName === undefined && q.nodeLabel === undefined) {
      // Every node of the cluster (or fleet): the registry counts its ready sessions without a walk over the rows.
      ready = this.registry.readyCount(q.clusterName, now);
    } else {
      for (const n of rows) if (this.registry.isReady(n.id, now)) ready++;
    }
    const start = q.pageSize === 0 ? 0 : (q.page - 1) * q.pageSize;
    const slice = q.pageSize === 0 ? rows : rows.slice(start, start + q.pageSize);
    const items = slice.map((n) => {
      const v = this.view(n, now);
      if (!q.fields) return v;
      return Object.fromEntries(q.fields.map((f) => [f, v[f]]));
    });
    return { items, total: rows.length, readyNodeCount: ready };
  }

  private nodesOf(clusterName: string, names: string[]): NodeRecord[] {
    if (!this.store.clusters.get(clusterName)) throw notFound(`cluster ${clusterName}`);
    return names.map((name) => {
      const n = this.store.nodes.byName(clusterName, name);
      if (!n) throw notFound(`node ${name} in cluster ${clusterName}`);
      return n;
    });
  }

  async addLabel(c: Caller, clusterName: string, names: string[], label: string): Promise<void> {
    assertCan(c.role, 'node.label');
    const nodes = this.nodesOf(clusterName, names);
    const t = Math.floor(this.now() / 1000);
    await Promise.all(
      nodes
        .filter((n) => !hasLabel(n, label))
        .map((n) => this.store.nodes.update(n.id, { labels: [...n.labels, { label, createTime: t }] })),
    );
  }

  /** Removes a label; returns the nodes that lost it (for deleteDeploy). */
  async removeLabel(c: Caller, clusterName: string, names: string[], label: string): Promise<NodeRecord[]> {
    assertCan(c.role, 'node.label');
    const nodes = this.nodesOf(clusterName, names).filter((n) => hasLabel(n, label));
    await Promise.all(nodes.map((n) => this.store.nodes.update(n.id, { labels: n.labels.filter((l: LabelRecord) => l.label !== label) })));
    return nodes;
  }

  labels(c: Caller, clusterName?: string): string[] {
    assertCan(c.role, 'node.read');
    const rows = clusterName !== undefined ? this.store.nodes.inCluster(clusterName) : this.store.nodes.all();
    const set = new Set<string>();
    for (const n of rows) for (const l of n.labels) set.add(l.label);
    return [...set].sort();
  }

  /** DELETE /v1/node/[name]: forgets a decommissioned node; its agent is disconnected and its credential dies. */
  async remove(c: Caller, clusterName: string, nodeName: string): Promise<void> {
    assertCan(c.role, 'node.delete');
    const n = this.store.nodes.byName(clusterName, nodeName);
    if (!n) throw notFound(`node ${nodeName} in cluster ${clusterName}`);
    // The store forgets the node at once (the write follows); the session goes in the same turn,
    // so the registry never counts a node that the store no longer lists.
    const removed = this.store.nodes.remove(n.id);
    const s = this.registry.get(n.id);
    if (s) {
      s.link.close(4004, 'node deleted by the administrator');
      this.registry.detach(s, 'node deleted');
    }
    await removed;
    this.log.info('node deleted', { clusterName, nodeName, by: c.user.id });
    this.events.publish({ kind: 'node.deleted', clusterName, nodeName, at: this.now() });
  }
}
