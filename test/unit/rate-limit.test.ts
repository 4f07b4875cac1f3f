import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../hub/src/agents/rate-limit.js';

const T0 = Date.UTC(2026, 0, 1);

const takeAll = (b: TokenBucket, now: number, max = 1000) => {
  let n = 0;
  while (n < max && b.take(now)) n++;
  return n;
};

describe('TokenBucket', () => {
  it('allows a burst of its capacity, then refuses', () => {
    const b = new TokenBucket(5, 1, T0);
    expect(takeAll(b, T0)).toBe(5);
    expect(b.take(T0)).toBe(false);
  });

  it('refills at its rate', () => {
    const b = new TokenBucket(10, 4, T0);
    takeAll(b, T0);
    expect(b.take(T0 + 200)).toBe(false);
    expect(b.take(T0 + 250)).toBe(true);
    expect(b.take(T0 + 250)).toBe(false);
    expect(takeAll(b, T0 + 1250)).toBe(4);
  });

  it('never holds more than its capacity, however long it rests', () => {
    const b = new TokenBucket(3, 100, T0);
    expect(takeAll(b, T0 + 3_600_000)).toBe(3);
  });

  it('lets a steady sender at the rate through forever', () => {
    const b = new TokenBucket(2, 50, T0);
    for (let i = 1; i <= 1000; i++) expect(b.take(T0 + i * 20)).toBe(true);
  });

  it('does not drain when the clock steps backwards', () => {
    const b = new TokenBucket(200, 50, T0);
    expect(takeAll(b, T0, 10)).toBe(10);
    // An NTP step of ten seconds back must not cut off every agent at its next message.
    expect(b.take(T0 - 10_000)).toBe(true);
    expect(takeAll(b, T0 - 10_000)).toBe(189);
  });
});
