import { describe, expect, it } from 'vitest';
import { clusterReady, isReady } from '../../hub/src/agents/readiness.js';

const GRACE = 15_000;
const T0 = Date.UTC(2026, 0, 1);

describe('isReady', () => {
  it.each([
    ['no live link at all', undefined, T0, false],
    ['connected, heartbeat just now', { connected: true, lastHeartbeat: T0 }, T0, true],
    ['connected, heartbeat 1 ms inside the grace', { connected: true, lastHeartbeat: T0 }, T0 + GRACE - 1, true],
    ['connected, heartbeat exactly the grace ago', { connected: true, lastHeartbeat: T0 }, T0 + GRACE, false],
    ['connected, heartbeat long ago', { connected: true, lastHeartbeat: T0 }, T0 + 10 * GRACE, false],
    ['disconnected with a fresh heartbeat', { connected: false, lastHeartbeat: T0 }, T0, false],
    ['a heartbeat from the future (clock stepped back)', { connected: true, lastHeartbeat: T0 + 5000 }, T0, true],
  ] as const)('%s', (_, liveness, now, expected) => {
    expect(isReady(liveness, now, GRACE)).toBe(expected);
  });

  it('follows the grace it is given', () => {
    const l = { connected: true, lastHeartbeat: T0 };
    expect(isReady(l, T0 + 1999, 2000)).toBe(true);
    expect(isReady(l, T0 + 2000, 2000)).toBe(false);
  });
});

describe('clusterReady', () => {
  it('is ready when at least one node is', () => {
    expect(clusterReady(0)).toBe(false);
    expect(clusterReady(1)).toBe(true);
    expect(clusterReady(40)).toBe(true);
  });
});
