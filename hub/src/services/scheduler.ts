import type { InstanceRecord } from '../store/types.js';

/** A node the deployment may use. */
export interface Candidate {
  nodeId: string;
  ready: boolean;
  /** Not ready for longer than the grace plus the reschedule delay: its replicas move (deployments only). */
  lost: boolean;
}

export interface InstanceHealth {
  running: boolean;
  /** ms; 0 if never started */
  startedAt: number;
}

export interface PlanInput {
  deployType: 'deployment' | 'daemonset';
  replicas: number;
  target: string;
  maxSurge: number;
  maxUnavailable: number;
  minReadyMs: number;
  /** Nodes the deployment selects (clusters and label), sorted by id. */
  candidates: Candidate[];
  instances: InstanceRecord[];
  health: (instanceId: string) => InstanceHealth | undefined;
  now: number;
  newId: () => string;
}

/** Whether an instance counts as available: running for at least minReadySeconds. */
export function available(h: InstanceHealth | undefined, now: number, minReadyMs: number): boolean {
  return !!h && h.running && h.startedAt > 0 && now - h.startedAt >= minReadyMs;
}

/**
 * The next placement of a deployment's instances: spreads `replicas` over ready nodes, follows
 * nodes for daemonsets, moves replicas off lost nodes, and rolls to `target` one step at a time
 * within maxSurge and maxUnavailable. Pure: call it again after the world changed.
 */
export function plan(p: PlanInput): InstanceRecord[] {
  return p.deployType === 'daemonset' ? planDaemonset(p) : planDeployment(p);
}

function planDeployment(p: PlanInput): InstanceRecord[] {
  const lost = new Set(p.candidates.filter((c) => c.lost).map((c) => c.nodeId));
  const live = p.instances.filter((i) => !lost.has(i.nodeId));
  const ready = p.candidates.filter((c) => c.ready);
  const isAvail = (i: InstanceRecord) => available(p.health(i.instanceId), p.now, p.minReadyMs);
  const surge = p.maxSurge === 0 && p.maxUnavailable === 0 ? 1 : p.maxSurge;
  const current = live.filter((i) => i.version === p.target);
  const old = live.filter((i) => i.version !== p.target);
  const out = [...current, ...old];

  const perNode = new Map<string, number>();
  for (const i of out) perNode.set(i.nodeId, (perNode.get(i.nodeId) ?? 0) + 1);
  const pickNode = (): string | undefined => {
    let best: Candidate | undefined;
    for (const c of ready) if (!best || (perNode.get(c.nodeId) ?? 0) < (perNode.get(best.nodeId) ?? 0)) best = c;
    return best?.nodeId;
  };
  const add = () => {
    const nodeId = pickNode();
    if (!nodeId) return false;
    const inst = { instanceId: p.newId(), nodeId, version: p.target, createTime: p.now };
    out.push(inst);
    current.push(inst);
    perNode.set(nodeId, (perNode.get(nodeId) ?? 0) + 1);
    return true;
  };
  const drop = (i: InstanceRecord) => {
    out.splice(out.indexOf(i), 1);
    perNode.set(i.nodeId, (perNode.get(i.nodeId) ?? 1) - 1);
  };

  const addUpTo = (limit: number) => {
    while (current.length < p.replicas && out.length < limit && add());
  };
  if (old.length === 0) {
    addUpTo(Number.POSITIVE_INFINITY);
  } else {
    // Rolling: new replicas up to replicas + surge in total; old ones retire while enough stay available.
    addUpTo(p.replicas + surge);
    const minAvailable = Math.max(0, p.replicas - p.maxUnavailable);
    let availableCount = out.filter(isAvail).length;
    for (const i of old.filter((o) => !isAvail(o))) drop(i); // they serve nothing: free to retire
    for (const i of old.filter(isAvail)) {
      if (availableCount - 1 < minAvailable) break;
      drop(i);
      availableCount--;
    }
    addUpTo(p.replicas + surge);
  }
  // Scale down: newest first, from the most loaded nodes.
  const extra = current.length - p.replicas;
  if (extra > 0) {
    const order = [...current].sort((a, b) => (perNode.get(b.nodeId) ?? 0) - (perNode.get(a.nodeId) ?? 0) || b.createTime - a.createTime);
    for (const i of order.slice(0, extra)) drop(i);
  }
  return out;
}

function planDaemonset(p: PlanInput): InstanceRecord[] {
  const isAvail = (i: InstanceRecord) => available(p.health(i.instanceId), p.now, p.minReadyMs);
  // Instances on nodes that left the selection stay (node-label removal with deleteDeploy removes them).
  const out: InstanceRecord[] = [...p.instances];
  const byNode = new Map<string, InstanceRecord[]>();
  for (const i of out) byNode.set(i.nodeId, [...(byNode.get(i.nodeId) ?? []), i]);
  const budget = Math.max(1, p.maxUnavailable + p.maxSurge);
  // Nodes mid-update: a new instance that is not yet available.
  let updating = [...byNode.values()].filter((l) => l.some((i) => i.version === p.target && !isAvail(i)) && l.some((i) => i.version !== p.target)).length;
  for (const c of p.candidates) {
    const here = byNode.get(c.nodeId) ?? [];
    const fresh = here.filter((i) => i.version === p.target);
    const stale = here.filter((i) => i.version !== p.target);
    if (here.length === 0) {
      out.push({ instanceId: p.newId(), nodeId: c.nodeId, version: p.target, createTime: p.now });
      continue;
    }
    for (const extra of fresh.slice(1)) out.splice(out.indexOf(extra), 1);
    if (stale.length === 0) continue;
    if (fresh.length > 0 && isAvail(fresh[0]!)) {
      for (const s of stale) out.splice(out.indexOf(s), 1);
    } else if (fresh.length === 0 && updating < budget) {
      out.push({ instanceId: p.newId(), nodeId: c.nodeId, version: p.target, createTime: p.now });
      updating++;
    }
  }
  return out;
}
