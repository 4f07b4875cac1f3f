/** What readiness needs to know of a node's live link. */
export interface Liveness {
  connected: boolean;
  /** Clock time (ms) of the last heartbeat (the hello counts as one). */
  lastHeartbeat: number;
}

/** A node is ready while its agent is connected and its last heartbeat is younger than the grace. */
export function isReady(l: Liveness | undefined, now: number, graceMs: number): boolean {
  return !!l && l.connected && now - l.lastHeartbeat < graceMs;
}

/** A cluster is ready when at least one of its nodes is. */
export function clusterReady(readyNodes: number): boolean {
  return readyNodes > 0;
}
