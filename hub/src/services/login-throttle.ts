import { AppError } from '../errors.js';

interface Entry {
  failures: number;
  lockedUntil: number;
  lastSeen: number;
}

export interface ThrottlePolicy {
  /** Failures allowed before the first lock. */
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  /** An entry idle this long is forgotten. */
  idleMs: number;
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  baseLockMs: 30_000,
  maxLockMs: 15 * 60_000,
  idleMs: 30 * 60_000,
  maxEntries: 100_000,
};

/** Lock length after `failures` failures: 0 while free, then doubling from the base up to the cap. */
export function lockMs(failures: number, p: ThrottlePolicy): number {
  if (failures < p.freeFailures) return 0;
  return Math.min(p.maxLockMs, p.baseLockMs * 2 ** Math.min(20, failures - p.freeFailures));
}

/** Throttles repeated failed logins for one user name from one address. */
export class LoginThrottle {
  private entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
  ) {}

  private key(user: string, ip: string): string {
    return `${user.toLowerCase()}\u0000${ip}`;
  }

  /** Throws 429 with Retry-After while this user and address are locked. */
  check(user: string, ip: string): void {
    const e = this.entries.get(this.key(user, ip));
    const now = this.now();
    if (e && e.lockedUntil > now) {
      const s = Math.ceil((e.lockedUntil - now) / 1000);
      throw new AppError(429, `too many failed logins for this user from your address; try again in ${s} s`, {
        'Retry-After': String(s),
      });
    }
  }

  fail(user: string, ip: string): void {
    const k = this.key(user, ip);
    const now = this.now();
    const e = this.entries.get(k) ?? { failures: 0, lockedUntil: 0, lastSeen: now };
    e.failures++;
    e.lastSeen = now;
    e.lockedUntil = now + lockMs(e.failures, this.policy);
    this.entries.delete(k);
    this.entries.set(k, e);
    if (this.entries.size > this.policy.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  succeed(user: string, ip: string): void {
    this.entries.delete(this.key(user, ip));
  }

  /** Forgets idle entries; returns how many. */
  sweep(): number {
    const now = this.now();
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.lockedUntil <= now && now - e.lastSeen > this.policy.idleMs) {
        this.entries.delete(k);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.entries.size;
  }
}
