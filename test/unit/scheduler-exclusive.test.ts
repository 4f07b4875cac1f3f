import { describe, expect, it } from 'vitest';
import { inst, perNode, ready, roll, World } from '../helpers/scheduler.js';

// Host ports: one instance of the deployment per node; rollouts must still finish.
describe('exclusive (host port) deployments', () => {
  it('never places two instances on one node, even when replicas outnumber nodes', () => {
    const w = new World();
    const out = w.plan({ candidates: [ready('A'), ready('B')], instances: [], replicas: 3, exclusive: true });
    expect(perNode(out)).toEqual({ A: 1, B: 1 });
  });

  it('rolls a deployment that fills every node, one node at a time, despite maxUnavailable 0', () => {
    const w = new World();
    const start = [inst('a', 'A'), inst('b', 'B')];
    w.run(start);
    const steps = roll(w, { candidates: [ready('A'), ready('B')], instances: start, replicas: 2, target: '2.0', maxSurge: 1, maxUnavailable: 0, exclusive: true });
    for (const s of steps) {
      expect(Math.max(...Object.values(perNode(s.instances)))).toBeLessThanOrEqual(1);
      expect(s.available).toBeGreaterThanOrEqual(1);
    }
    const last = steps[steps.length - 1]!.instances;
    expect(last.every((i) => i.version === '2.0')).toBe(true);
    expect(perNode(last)).toEqual({ A: 1, B: 1 });
  });

  it('replaces daemonset instances in place (no surge beside the old one)', () => {
    const w = new World();
    const start = [inst('a', 'A'), inst('b', 'B'), inst('c', 'C')];
    w.run(start);
    const steps = roll(w, {
      deployType: 'daemonset',
      candidates: [ready('A'), ready('B'), ready('C')],
      instances: start,
      target: '2.0',
      maxSurge: 1,
      maxUnavailable: 0,
      exclusive: true,
    });
    for (const s of steps) expect(Math.max(...Object.values(perNode(s.instances)))).toBeLessThanOrEqual(1);
    const last = steps[steps.length - 1]!.instances;
    expect(last.every((i) => i.version === '2.0')).toBe(true);
    expect(perNode(last)).toEqual({ A: 1, B: 1, C: 1 });
  });
});
