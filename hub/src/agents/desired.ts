import type { Desired, WorkloadSpec } from '../../../shared/src/protocol.js';
import type { NamespaceService } from '../services/namespaces.js';
import type { AgentRegistry, Session } from './registry.js';

/**
 * What each node should have, pushed whole on connect and whenever it changes. Generations rise
 * across hub restarts (seeded from the clock) so an agent can tell a newer state from an older one.
 */
export class DesiredStatePusher {
  private generation: number;
  private unsubscribe: () => void = () => {};
  private workloads: (nodeId: string) => WorkloadSpec[] = () => [];
  /** The last state sent per session, to skip pushes that change nothing. */
  private readonly lastSent = new WeakMap<Session, string>();

  constructor(
    private readonly registry: AgentRegistry,
    private readonly namespaces: NamespaceService,
    now: number,
  ) {
    this.generation = now;
  }

  /** Where the workloads of a node come from (the workload controller). */
  setWorkloadSource(fn: (nodeId: string) => WorkloadSpec[]): void {
    this.workloads = fn;
  }

  start(): void {
    this.unsubscribe = this.namespaces.subscribe(() => this.pushAll());
  }

  stop(): void {
    this.unsubscribe();
  }

  desiredFor(s: Pick<Session, 'clusterName' | 'nodeId'>): Omit<Desired, 'type' | 'generation'> {
    return { namespaces: this.namespaces.desired(s.clusterName), workloads: this.workloads(s.nodeId) };
  }

  /** Sends the node its desired state; unless forced, only when it differs from the last one sent. */
  push(s: Session, force = true): void {
    const body = this.desiredFor(s);
    const text = JSON.stringify(body);
    if (!force && this.lastSent.get(s) === text) return;
    this.lastSent.set(s, text);
    const generation = ++this.generation;
    s.sentGeneration = generation;
    s.link.send({ type: 'desired', generation, ...body });
  }

  pushAll(force = true): void {
    for (const s of this.registry.all()) this.push(s, force);
  }

  pushNodes(nodeIds: Iterable<string>): void {
    for (const id of nodeIds) {
      const s = this.registry.get(id);
      if (s) this.push(s, false);
    }
  }
}
