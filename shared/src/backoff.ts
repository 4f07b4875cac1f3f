/**
 * The longest an agent waits between two attempts to reach the hub. After a hub restart every
 * agent that is still alive is back within this (plus its connect time), so the hub waits this
 * long before it counts a node that has not returned as gone.
 */
export const AGENT_BACKOFF_CAP_MS = 30_000;
export const AGENT_BACKOFF_BASE_MS = 500;

/** Capped exponential backoff with full jitter: uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
