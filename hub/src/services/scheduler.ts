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
  /**
   * At most one instance of the deployment per node (it binds host ports). Surging onto a node
   * that already runs one is then impossible, so a rollout may take one replica down at a time.
   */
  exclusive?: boolean;
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
  const maxUnavailable = p.exclusive ? Math.max(1, p.maxUnavailable) : p.maxUnavailable;
  const current = live.filter((i) => i.version === p.target);
  const old = live.filter((i) => i.version !== p.target);
  const out = [...current, ...old];

  const perNode = new Map<string, number>();
  for (const i of out) perNode.set(i.nodeId, (perNode.get(i.nodeId) ?? 0) + 1);
  // New replicas spread by the target version first: the old ones all go, so balancing by total
  // load during a rollout would leave the new version piled on some nodes.
  const targetPerNode = new Map<string, number>();
  for (const i of current) targetPerNode.set(i.nodeId, (targetPerNode.get(i.nodeId) ?? 0) + 1);
  const load = (id: string): [number, number] => [targetPerNode.get(id) ?? 0, perNode.get(id) ?? 0];
  const lighter = (a: string, b: string) => {
    const [la, lb] = [load(a), load(b)];
    return la[0] < lb[0] || (la[0] === lb[0] && la[1] < lb[1]);
  };
  const pickNode = (): string | undefined => {
    let best: Candidate | undefined;
    for (const c of ready) {
      if (p.exclusive && (perNode.get(c.nodeId) ?? 0) > 0) continue;
      if (!best || lighter(c.nodeId, best.nodeId)) best = c;
    }
    return best?.nodeId;
  };
  const add = () => {
    const nodeId = pickNode();
    if (!nodeId) return false;
    const inst = { instanceId: p.newId(), nodeId, version: p.target, createTime: p.now };
    out.push(inst);
    current.push(inst);
    perNode.set(nodeId, (perNode.get(nodeId) ?? 0) + 1);
    targetPerNode.set(nodeId, (targetPerNode.get(nodeId) ?? 0) + 1);
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
    const minAvailable = Math.max(0, p.replicas - maxUnavailable);
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
  // One at a time: the node counts change with every drop.
  const kept = [...current];
  const dropsFirst = (a: InstanceRecord, b: InstanceRecord) => {
    const d = (perNode.get(a.nodeId) ?? 0) - (perNode.get(b.nodeId) ?? 0);
    return d !== 0 ? d > 0 : a.createTime > b.createTime;
  };
  for (let extra = kept.length - p.replicas; extra > 0; extra--) {
    let victim = 0;
    for (let k = 1; k < kept.length; k++) if (dropsFirst(kept[k]!, kept[victim]!)) victim = k;
    drop(kept.splice(victim, 1)[0]!);
  }
  return out;
}

function planDaemonset(p: PlanInput): InstanceRecord[] {
  const isAvail = (i: InstanceRecord) => available(p.health(i.instanceId), p.now, p.minReadyMs);
  const isFresh = (i: InstanceRecord) => i.version === p.target;
  // Per node: maxSurge nodes may run the new instance beside the old one; maxUnavailable nodes may
  // stop the old one first (no second container, so host ports stay free).
  // With host ports the old and new instance cannot run side by side: replace in place.
  const surge = p.exclusive ? 0 : p.maxSurge === 0 && p.maxUnavailable === 0 ? 1 : p.maxSurge;
  const maxUnavailable = p.exclusive ? Math.max(1, p.maxUnavailable) : p.maxUnavailable;
  const out: InstanceRecord[] = [...p.instances];
  const byNode = new Map<string, InstanceRecord[]>();
  for (const i of out) byNode.set(i.nodeId, [...(byNode.get(i.nodeId) ?? []), i]);
  const here = (nodeId: string) => byNode.get(nodeId) ?? [];
  // Instances on nodes that left the selection stay (node-label removal with deleteDeploy removes
  // them) and still belong to the daemonset: they roll to the target like the others, within the
  // same budget, but a node outside the selection never gets a new one.
  const selected = new Set(p.candidates.map((c) => c.nodeId));
  const nodes = [...p.candidates.map((c) => c.nodeId), ...[...byNode.keys()].filter((n) => !selected.has(n)).sort()];
  const surging = (l: InstanceRecord[]) => l.some((i) => isFresh(i) && !isAvail(i)) && l.some((i) => !isFresh(i));
  let surges = nodes.filter((n) => here(n).some(isAvail) && surging(here(n))).length;
  let down = nodes.filter((n) => here(n).length > 0 && !here(n).some(isAvail)).length;
  const remove = (i: InstanceRecord) => out.splice(out.indexOf(i), 1);
  const add = (nodeId: string) => out.push({ instanceId: p.newId(), nodeId, version: p.target, createTime: p.now });
  for (const nodeId of nodes) {
    const list = here(nodeId);
    const fresh = list.filter(isFresh);
    const stale = list.filter((i) => !isFresh(i));
    if (list.length === 0) {
      add(nodeId);
      continue;
    }
    for (const extra of fresh.slice(1)) remove(extra);
    if (stale.length === 0) continue;
    if (fresh.length > 0) {
      if (isAvail(fresh[0]!)) stale.forEach(remove);
      continue;
    }
    if (!stale.some(isAvail)) {
      // The old instance serves nothing: replacing it costs no budget.
      stale.forEach(remove);
      add(nodeId);
    } else if (surges < surge) {
      add(nodeId);
      surges++;
    } else if (down < maxUnavailable) {
      stale.forEach(remove);
      add(nodeId);
      down++;
    }
  }
  return out;
}
