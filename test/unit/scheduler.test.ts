import { describe, expect, it } from 'vitest';
import { available } from '../../hub/src/services/scheduler.js';
import { inst, lost, notReady, perNode, ready, T0, World } from '../helpers/scheduler.js';

const ids = (xs: { instanceId: string }[]) => xs.map((i) => i.instanceId).sort();

describe('plan: deployment placement', () => {
  it.each([
    ['3 replicas over 2 ready nodes', 3, ['A', 'B'], [], { A: 2, B: 1 }],
    ['4 replicas over 2 ready nodes', 4, ['A', 'B'], [], { A: 2, B: 2 }],
    ['5 replicas over 3 ready nodes', 5, ['A', 'B', 'C'], [], { A: 2, B: 2, C: 1 }],
    ['1 replica over 3 ready nodes', 1, ['A', 'B', 'C'], [], { A: 1 }],
    ['0 replicas', 0, ['A', 'B'], [], {}],
    ['fills the emptier node first', 3, ['A', 'B'], [['a1', 'A'], ['a2', 'A']], { A: 2, B: 1 }],
  ] as const)('%s', (_, replicas, nodes, existing, want) => {
    const w = new World();
    const out = w.plan({ replicas, candidates: nodes.map(ready), instances: existing.map(([id, n]) => inst(id, n)) });
    expect(perNode(out)).toEqual(want);
    expect(out.every((i) => i.version === '1.0')).toBe(true);
    expect(new Set(out.map((i) => i.instanceId)).size).toBe(out.length);
  });

  it('never places on a node that is not ready', () => {
    const w = new World();
    const out = w.plan({ replicas: 4, candidates: [notReady('A'), ready('B'), notReady('C')], instances: [] });
    expect(perNode(out)).toEqual({ B: 4 });
  });

  it('adds nothing when no node is ready', () => {
    const w = new World();
    expect(w.plan({ replicas: 3, candidates: [notReady('A'), lost('B')], instances: [] })).toEqual([]);
    expect(w.plan({ replicas: 3, candidates: [], instances: [] })).toEqual([]);
  });

  it('keeps existing placements and is stable when nothing changed', () => {
    const w = new World();
    const existing = [inst('x', 'B'), inst('y', 'B')];
    const first = w.plan({ replicas: 3, candidates: [ready('A'), ready('B')], instances: existing });
    expect(ids(first)).toEqual(expect.arrayContaining(['x', 'y']));
    expect(perNode(first)).toEqual({ A: 1, B: 2 });
    w.run(first);
    const second = w.plan({ replicas: 3, candidates: [ready('A'), ready('B')], instances: first });
    expect(second).toEqual(first);
  });

  it('scales up onto the least loaded nodes, keeping what runs', () => {
    const w = new World();
    const out = w.plan({ replicas: 6, candidates: [ready('A'), ready('B'), ready('C')], instances: [inst('a1', 'A'), inst('a2', 'A'), inst('b1', 'B')] });
    expect(perNode(out)).toEqual({ A: 2, B: 2, C: 2 });
    expect(ids(out)).toEqual(expect.arrayContaining(['a1', 'a2', 'b1']));
  });

  it('scales down newest first from the most loaded node', () => {
    const w = new World();
    const instances = [inst('a1', 'A', '1.0', T0), inst('a2', 'A', '1.0', T0 + 2), inst('a3', 'A', '1.0', T0 + 1), inst('b1', 'B', '1.0', T0 + 9)];
    const out = w.plan({ replicas: 2, candidates: [ready('A'), ready('B')], instances });
    expect(ids(out)).toEqual(['a1', 'b1']);
    const one = w.plan({ replicas: 3, candidates: [ready('A'), ready('B')], instances });
    expect(ids(one)).toEqual(['a1', 'a3', 'b1']);
  });

  it('scales down evenly even when one node holds all the newest replicas', () => {
    const w = new World();
    const older = ['b1', 'b2', 'b3'].map((id) => inst(id, 'B', '1.0', T0));
    const newer = ['a1', 'a2', 'a3'].map((id) => inst(id, 'A', '1.0', T0 + 1000));
    const out = w.plan({ replicas: 2, candidates: [ready('A'), ready('B')], instances: [...older, ...newer] });
    expect(perNode(out)).toEqual({ A: 1, B: 1 });
  });

  it('moves replicas off lost nodes onto ready ones', () => {
    const w = new World();
    const instances = [inst('a1', 'A'), inst('b1', 'B'), inst('b2', 'B')];
    const out = w.plan({ replicas: 3, candidates: [ready('A'), lost('B'), ready('C')], instances });
    expect(out.some((i) => i.nodeId === 'B')).toBe(false);
    expect(Object.keys(perNode(out))).toEqual(['A', 'C']);
    expect(out).toHaveLength(3);
    expect(ids(out)).toContain('a1');
  });

  it('drops replicas of a lost node even when no other node can take them', () => {
    const w = new World();
    const out = w.plan({ replicas: 2, candidates: [lost('A')], instances: [inst('a1', 'A'), inst('a2', 'A')] });
    expect(out).toEqual([]);
  });

  it('leaves replicas on a node that is merely not ready (within its grace)', () => {
    const w = new World();
    const instances = [inst('a1', 'A'), inst('b1', 'B'), inst('b2', 'B')];
    const out = w.plan({ replicas: 3, candidates: [ready('A'), notReady('B')], instances });
    expect(out).toEqual(instances);
  });
});

describe('plan: daemonset', () => {
  const ds = { deployType: 'daemonset' as const, replicas: 0 };

  it('runs one instance on every candidate node, ready or not', () => {
    const w = new World();
    const out = w.plan({ ...ds, candidates: [ready('A'), ready('B'), notReady('C')], instances: [] });
    expect(perNode(out)).toEqual({ A: 1, B: 1, C: 1 });
  });

  it('is stable when nothing changed', () => {
    const w = new World();
    const first = w.plan({ ...ds, candidates: [ready('A'), ready('B')], instances: [] });
    w.run(first);
    expect(w.plan({ ...ds, candidates: [ready('A'), ready('B')], instances: first })).toEqual(first);
  });

  it('adds an instance for a node that joins the selection', () => {
    const w = new World();
    const existing = [inst('a1', 'A'), inst('b1', 'B')];
    w.run(existing);
    const out = w.plan({ ...ds, candidates: [ready('A'), ready('B'), ready('C')], instances: existing });
    expect(perNode(out)).toEqual({ A: 1, B: 1, C: 1 });
    expect(ids(out)).toEqual(expect.arrayContaining(['a1', 'b1']));
  });

  it('keeps the instances of a node that left the selection', () => {
    const w = new World();
    const existing = [inst('a1', 'A'), inst('b1', 'B')];
    w.run(existing);
    expect(w.plan({ ...ds, candidates: [ready('A')], instances: existing })).toEqual(existing);
  });

  it('keeps the instance of a lost node (a daemonset does not move)', () => {
    const w = new World();
    const existing = [inst('a1', 'A'), inst('b1', 'B')];
    expect(w.plan({ ...ds, candidates: [ready('A'), lost('B')], instances: existing })).toEqual(existing);
  });

  it('drops duplicate instances of the target version on one node', () => {
    const w = new World();
    const out = w.plan({ ...ds, candidates: [ready('A')], instances: [inst('a1', 'A'), inst('a2', 'A')] });
    expect(ids(out)).toEqual(['a1']);
  });
});

describe('available', () => {
  it.each([
    ['no health report', undefined, T0, 0, false],
    ['not running', { running: false, startedAt: T0 }, T0 + 60_000, 0, false],
    ['running but never started', { running: true, startedAt: 0 }, T0, 0, false],
    ['running, no minReady', { running: true, startedAt: T0 }, T0, 0, true],
    ['running 1 ms short of minReady', { running: true, startedAt: T0 }, T0 + 9_999, 10_000, false],
    ['running exactly minReady', { running: true, startedAt: T0 }, T0 + 10_000, 10_000, true],
  ] as const)('%s', (_, health, now, minReadyMs, want) => {
    expect(available(health, now, minReadyMs)).toBe(want);
  });
});
