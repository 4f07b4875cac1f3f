import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../shared/src/backoff.js';

const BASE = 500;
const CAP = 30_000;
const almostOne = () => 1 - Number.EPSILON;

describe('backoffDelay (capped exponential, full jitter)', () => {
  it.each([
    [0, 500],
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [6, 30_000],
    [60, 30_000],
    [10_000, 30_000],
  ])('attempt %i stays below a ceiling of %i ms', (attempt, ceiling) => {
    const top = backoffDelay(attempt, BASE, CAP, almostOne);
    expect(top).toBeLessThan(ceiling);
    expect(top).toBeGreaterThanOrEqual(ceiling - 1);
    expect(backoffDelay(attempt, BASE, CAP, () => 0)).toBe(0);
    expect(backoffDelay(attempt, BASE, CAP, () => 0.5)).toBe(Math.floor(ceiling / 2));
  });

  it('is a whole number of milliseconds spread over the whole range', () => {
    let i = 0;
    const steps = [0, 0.1, 0.25, 0.5, 0.75, 0.9];
    const seen = steps.map(() => backoffDelay(3, BASE, CAP, () => steps[i++]!));
    expect(seen).toEqual([0, 400, 1000, 2000, 3000, 3600]);
    for (const d of seen) expect(Number.isInteger(d)).toBe(true);
  });

  it('never exceeds the cap, even when the base alone is larger', () => {
    expect(backoffDelay(0, 60_000, CAP, almostOne)).toBeLessThan(CAP);
  });

  it('uses Math.random by default and stays in bounds', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, BASE, CAP);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(8000);
    }
  });
});
