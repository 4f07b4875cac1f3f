import { available, plan, type Candidate, type InstanceHealth, type PlanInput } from '../../hub/src/services/scheduler.js';
import type { InstanceRecord } from '../../hub/src/store/types.js';

export const T0 = Date.UTC(2026, 0, 1);

export const ready = (nodeId: string): Candidate => ({ nodeId, ready: true, lost: false });
export const notReady = (nodeId: string): Candidate => ({ nodeId, ready: false, lost: false });
export const lost = (nodeId: string): Candidate => ({ nodeId, ready: false, lost: true });

/** Instances a test names by hand: `inst('a1', 'A', '1.0', T0)`. */
export const inst = (instanceId: string, nodeId: string, version = '1.0', createTime = T0): InstanceRecord => ({ instanceId, nodeId, version, createTime });

/** Instances per node id, sorted: `{ A: 2, B: 1 }`. */
export function perNode(instances: readonly InstanceRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of [...instances].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1))) out[i.nodeId] = (out[i.nodeId] ?? 0) + 1;
  return out;
}

/** A world the scheduler plans in: instance health the test controls, a clock and id source. */
export class World {
  readonly health = new Map<string, InstanceHealth>();
  now = T0;
  private seq = 0;

  /** Marks instances as running since `since` (default: now). */
  run(instances: readonly InstanceRecord[], since = this.now): void {
    for (const i of instances) if (!this.health.has(i.instanceId)) this.health.set(i.instanceId, { running: true, startedAt: since });
  }

  input(over: Partial<PlanInput> & Pick<PlanInput, 'candidates' | 'instances'>): PlanInput {
    return {
      deployType: 'deployment',
      replicas: 1,
      target: '1.0',
      maxSurge: 1,
      maxUnavailable: 0,
      minReadyMs: 0,
      health: (id) => this.health.get(id),
      now: this.now,
      newId: () => `n${++this.seq}`,
      ...over,
    };
  }

  plan(over: Partial<PlanInput> & Pick<PlanInput, 'candidates' | 'instances'>): InstanceRecord[] {
    return plan(this.input(over));
  }

  availableCount(instances: readonly InstanceRecord[], minReadyMs = 0): number {
    return instances.filter((i) => available(this.health.get(i.instanceId), this.now, minReadyMs)).length;
  }
}

export interface RollStep {
  instances: InstanceRecord[];
  total: number;
  available: number;
}

/**
 * Rolls `start` to version `target`: plans, records the step (counted at the planning time),
 * starts every new instance, moves the clock by `stepMs`, and repeats until nothing changes.
 */
export function roll(w: World, over: Partial<PlanInput> & Pick<PlanInput, 'candidates' | 'instances'>, stepMs = 1000, maxSteps = 60): RollStep[] {
  const steps: RollStep[] = [];
  let instances = over.instances;
  for (let n = 0; n < maxSteps; n++) {
    const next = w.plan({ ...over, instances });
    steps.push({ instances: next, total: next.length, available: w.availableCount(next, over.minReadyMs ?? 0) });
    const ids = new Set(instances.map((i) => i.instanceId));
    const same = next.length === instances.length && next.every((i) => ids.has(i.instanceId));
    if (same && next.every((i) => i.version === (over.target ?? '1.0'))) return steps;
    w.run(next);
    w.now += stepMs;
    instances = next;
  }
  throw new Error(`no convergence in ${maxSteps} steps`);
}
