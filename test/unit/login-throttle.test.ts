import { describe, expect, it } from 'vitest';
import { AppError } from '../../hub/src/errors.js';
import { DEFAULT_THROTTLE, lockMs, LoginThrottle, type ThrottlePolicy } from '../../hub/src/services/login-throttle.js';

describe('lockMs', () => {
  it.each([
    [0, 0],
    [1, 0],
    [4, 0],
    [5, 30_000],
    [6, 60_000],
    [7, 120_000],
    [8, 240_000],
    [9, 480_000],
    [10, 900_000],
    [11, 900_000],
    [1000, 900_000],
  ])('%i failures lock for %i ms', (failures, ms) => {
    expect(lockMs(failures, DEFAULT_THROTTLE)).toBe(ms);
  });
});

function caught(fn: () => void): AppError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  return undefined;
}

function setup(policy?: ThrottlePolicy) {
  let t = 1_000_000;
  const throttle = new LoginThrottle(() => t, policy);
  return { throttle, advance: (ms: number) => (t += ms) };
}

describe('LoginThrottle', () => {
  it('lets the free failures through, then answers 429 with Retry-After', () => {
    const { throttle } = setup();
    for (let i = 0; i < 4; i++) {
      throttle.fail('alice', '10.0.0.1');
      expect(caught(() => throttle.check('alice', '10.0.0.1'))).toBeUndefined();
    }
    throttle.fail('alice', '10.0.0.1');
    const e = caught(() => throttle.check('alice', '10.0.0.1'));
    expect(e?.status).toBe(429);
    expect(e?.headers['Retry-After']).toBe('30');
    expect(e?.message).toMatch(/try again in 30 s/);
  });

  it('keys on the user name (any case) and the address', () => {
    const { throttle } = setup();
    for (let i = 0; i < 5; i++) throttle.fail('Alice', '10.0.0.1');
    expect(caught(() => throttle.check('alice', '10.0.0.1'))?.status).toBe(429);
    expect(caught(() => throttle.check('alice', '10.0.0.2'))).toBeUndefined();
    expect(caught(() => throttle.check('bob', '10.0.0.1'))).toBeUndefined();
  });

  it('unlocks when the lock has passed, and doubles the next lock', () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 5; i++) throttle.fail('alice', 'ip');
    advance(29_000);
    expect(caught(() => throttle.check('alice', 'ip'))?.headers['Retry-After']).toBe('1');
    advance(1_000);
    expect(caught(() => throttle.check('alice', 'ip'))).toBeUndefined();
    throttle.fail('alice', 'ip');
    expect(caught(() => throttle.check('alice', 'ip'))?.headers['Retry-After']).toBe('60');
  });

  it('forgets the failures after a success', () => {
    const { throttle } = setup();
    for (let i = 0; i < 4; i++) throttle.fail('alice', 'ip');
    throttle.succeed('alice', 'ip');
    throttle.fail('alice', 'ip');
    expect(caught(() => throttle.check('alice', 'ip'))).toBeUndefined();
    expect(throttle.size).toBe(1);
  });

  it('sweeps only entries that are unlocked and idle past idleMs', () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 10; i++) throttle.fail('locked', 'ip'); // locked for 15 min
    throttle.fail('idle', 'ip');
    advance(DEFAULT_THROTTLE.idleMs);
    expect(throttle.sweep()).toBe(0); // not idle *past* idleMs yet
    throttle.fail('fresh', 'ip');
    advance(1);
    expect(throttle.sweep()).toBe(2); // 'idle' and 'locked' (its 15-minute lock is over)
    expect(throttle.size).toBe(1);
    expect(caught(() => throttle.check('locked', 'ip'))).toBeUndefined();
  });

  it('does not sweep an entry that is still locked, however old', () => {
    const policy = { ...DEFAULT_THROTTLE, idleMs: 1_000 };
    const { throttle, advance } = setup(policy);
    for (let i = 0; i < 5; i++) throttle.fail('alice', 'ip');
    advance(5_000);
    expect(throttle.sweep()).toBe(0);
    expect(caught(() => throttle.check('alice', 'ip'))?.status).toBe(429);
  });

  it('drops the least recently failed entry beyond maxEntries', () => {
    const { throttle } = setup({ ...DEFAULT_THROTTLE, maxEntries: 2, freeFailures: 1 });
    throttle.fail('a', 'ip');
    throttle.fail('b', 'ip');
    throttle.fail('a', 'ip'); // 'a' is now the most recent
    throttle.fail('c', 'ip');
    expect(throttle.size).toBe(2);
    expect(caught(() => throttle.check('b', 'ip'))).toBeUndefined();
    expect(caught(() => throttle.check('a', 'ip'))?.status).toBe(429);
    expect(caught(() => throttle.check('c', 'ip'))?.status).toBe(429);
  });
});
