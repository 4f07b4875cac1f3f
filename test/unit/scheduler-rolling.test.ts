import { describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../hub/src/store/types.js';
import { inst, perNode, ready, roll, T0, World } from '../helpers/scheduler.js';

/** `n` instances of version 1.0 spread over the nodes, running since long ago. */
function running(w: World, n: number, nodes: string[]): InstanceRecord[] {
  const out = Array.from({ length: n }, (_, k) => inst(`old${k}`, nodes[k % nodes.length]!, '1.0', T0 - 3_600_000));
  w.run(out, T0 - 3_600_000);
  return out;
}

const versions = (xs: InstanceRecord[]) => xs.map((i) => i.version);
const ids = (xs: InstanceRecord[]) => xs.map((i) => i.instanceId).sort();

describe('plan: rolling upgrade of a deployment', () => {
  it.each([
    // name, maxSurge, maxUnavailable, the ceiling it must keep (replicas + surge), the floor of available
    ['maxSurge 1, maxUnavailable 0', 1, 0, 5, 4],
    ['maxSurge 0, maxUnavailable 1', 0, 1, 4, 3],
    ['both 0: treated as maxSurge 1', 0, 0, 5, 4],
    ['maxSurge 2, maxUnavailable 1', 2, 1, 6, 3],
  ] as const)('%s: stays within the budget at every step and ends all new', (_, maxSurge, maxUnavailable, ceiling, floor) => {
    const w = new World();
    const nodes = [ready('A'), ready('B')];
    const steps = roll(w, { replicas: 4, target: '2.0', maxSurge, maxUnavailable, candidates: nodes, instances: running(w, 4, ['A', 'B']) });
    expect(steps.length).toBeGreaterThan(2);
    for (const s of steps) {
      expect(s.total).toBeLessThanOrEqual(ceiling);
      expect(s.available).toBeGreaterThanOrEqual(floor);
    }
    const last = steps.at(-1)!.instances;
    expect(versions(last)).toEqual(['2.0', '2.0', '2.0', '2.0']);
    expect(perNode(last)).toEqual({ A: 2, B: 2 });
    expect(last.some((i) => i.instanceId.startsWith('old'))).toBe(false);
  });

  it('uses the surge at once: maxSurge 1 adds one new replica before any old one retires', () => {
    const w = new World();
    const old = running(w, 3, ['A', 'B']);
    const first = w.plan({ replicas: 3, target: '2.0', maxSurge: 1, maxUnavailable: 0, candidates: [ready('A'), ready('B')], instances: old });
    expect(first).toHaveLength(4);
    expect(first.filter((i) => i.version === '1.0')).toEqual(old);
  });

  it('uses the unavailability at once: maxSurge 0 retires one old replica and replaces it in the same step', () => {
    const w = new World();
    const old = running(w, 3, ['A', 'B']);
    const first = w.plan({ replicas: 3, target: '2.0', maxSurge: 0, maxUnavailable: 1, candidates: [ready('A'), ready('B')], instances: old });
    expect(first).toHaveLength(3);
    expect(versions(first).sort()).toEqual(['1.0', '1.0', '2.0']);
  });

  it('honours minReadySeconds: a new replica running for less does not let an old one retire', () => {
    const w = new World();
    const cand = [ready('A'), ready('B')];
    const opts = { replicas: 2, target: '2.0', maxSurge: 1, maxUnavailable: 0, minReadyMs: 10_000, candidates: cand };
    const first = w.plan({ ...opts, instances: running(w, 2, ['A', 'B']) });
    expect(versions(first).sort()).toEqual(['1.0', '1.0', '2.0']);
    w.run(first);
    w.now += 9_999;
    expect(ids(w.plan({ ...opts, instances: first }))).toEqual(ids(first));
    w.now += 1;
    const next = w.plan({ ...opts, instances: first });
    expect(versions(next).sort()).toEqual(['1.0', '2.0', '2.0']);
  });

  it('with minReadySeconds still converges within the budget', () => {
    const w = new World();
    const steps = roll(w, { replicas: 3, target: '2.0', maxSurge: 1, maxUnavailable: 0, minReadyMs: 5_000, candidates: [ready('A'), ready('B')], instances: running(w, 3, ['A', 'B']) }, 2_000);
    for (const s of steps) {
      expect(s.total).toBeLessThanOrEqual(4);
      expect(s.available).toBeGreaterThanOrEqual(3);
    }
    expect(versions(steps.at(-1)!.instances)).toEqual(['2.0', '2.0', '2.0']);
  });

  it('retires old replicas that serve nothing without waiting', () => {
    const w = new World();
    const old = [inst('o1', 'A'), inst('o2', 'B')]; // never reported running
    const out = w.plan({ replicas: 2, target: '2.0', maxSurge: 1, maxUnavailable: 0, candidates: [ready('A'), ready('B')], instances: old });
    expect(versions(out)).toEqual(['2.0', '2.0']);
  });

  it('rolls back the same way (a deploy of an older version)', () => {
    const w = new World();
    const v2 = [inst('x1', 'A', '2.0', T0 - 1000), inst('x2', 'B', '2.0', T0 - 1000)];
    w.run(v2, T0 - 1000);
    const steps = roll(w, { replicas: 2, target: '1.0', maxSurge: 1, maxUnavailable: 0, candidates: [ready('A'), ready('B')], instances: v2 });
    for (const s of steps) expect(s.available).toBeGreaterThanOrEqual(2);
    expect(versions(steps.at(-1)!.instances)).toEqual(['1.0', '1.0']);
  });
});

describe('plan: rolling upgrade of a daemonset', () => {
  const ds = { deployType: 'daemonset' as const, replicas: 0, target: '2.0' };
  const nodes = ['A', 'B', 'C', 'D'];
  const cand = nodes.map(ready);
  const start = (w: World) => running(w, 4, nodes);

  it.each([
    // name, maxSurge, maxUnavailable, ceiling (nodes + surge), floor (nodes - unavailable)
    ['maxSurge 1, maxUnavailable 0', 1, 0, 5, 4],
    ['maxSurge 2, maxUnavailable 0', 2, 0, 6, 4],
    ['maxSurge 0, maxUnavailable 1', 0, 1, 4, 3],
    ['maxSurge 0, maxUnavailable 2', 0, 2, 4, 2],
    ['both 0: treated as maxSurge 1', 0, 0, 5, 4],
  ] as const)('%s: node by node within the budget, ending one new instance per node', (_, maxSurge, maxUnavailable, ceiling, floor) => {
    const w = new World();
    const steps = roll(w, { ...ds, maxSurge, maxUnavailable, candidates: cand, instances: start(w) });
    expect(steps.length).toBeGreaterThan(2);
    for (const s of steps) {
      expect(s.total).toBeLessThanOrEqual(ceiling);
      expect(s.available).toBeGreaterThanOrEqual(floor);
      expect(Math.max(...Object.values(perNode(s.instances)))).toBeLessThanOrEqual(2);
    }
    const last = steps.at(-1)!.instances;
    expect(perNode(last)).toEqual({ A: 1, B: 1, C: 1, D: 1 });
    expect(versions(last)).toEqual(['2.0', '2.0', '2.0', '2.0']);
  });

  it('replaces an old instance that serves nothing without using the budget', () => {
    const w = new World();
    const old = running(w, 2, ['A', 'B']);
    const deadOnC = inst('c-old', 'C', '1.0', T0 - 3_600_000); // never reported running
    const out = w.plan({ ...ds, maxSurge: 1, maxUnavailable: 0, candidates: [ready('A'), ready('B'), ready('C')], instances: [...old, deadOnC] });
    expect(out.filter((i) => i.nodeId === 'C').map((i) => i.version)).toEqual(['2.0']);
    expect(out.filter((i) => i.version === '2.0')).toHaveLength(2); // C replaced, and one surge on A or B
  });

  it('rolls the instance on a node that left the selection too, and never adds one there', () => {
    const w = new World();
    // C lost the label (removed without deleteDeploy): its instance stays and follows upgrades.
    const steps = roll(w, { ...ds, maxSurge: 1, maxUnavailable: 0, candidates: [ready('A'), ready('B')], instances: running(w, 3, ['A', 'B', 'C']) });
    for (const s of steps) expect(s.available).toBeGreaterThanOrEqual(3);
    const last = steps.at(-1)!.instances;
    expect(perNode(last)).toEqual({ A: 1, B: 1, C: 1 });
    expect(versions(last)).toEqual(['2.0', '2.0', '2.0']);
    const w2 = new World();
    expect(w2.plan({ ...ds, candidates: [ready('A')], instances: [] }).map((i) => i.nodeId)).toEqual(['A']);
  });

  it('waits for minReadySeconds on a node before retiring its old instance', () => {
    const w = new World();
    const opts = { ...ds, maxSurge: 1, maxUnavailable: 0, minReadyMs: 10_000, candidates: [ready('A')] };
    const first = w.plan({ ...opts, instances: running(w, 1, ['A']) });
    expect(versions(first).sort()).toEqual(['1.0', '2.0']);
    w.run(first);
    w.now += 9_999;
    expect(ids(w.plan({ ...opts, instances: first }))).toEqual(ids(first));
    w.now += 1;
    expect(versions(w.plan({ ...opts, instances: first }))).toEqual(['2.0']);
  });
});
