import type { Desired } from '../../../shared/src/protocol.js';
import type { NamespaceService } from '../services/namespaces.js';
import type { AgentRegistry, Session } from './registry.js';

/**
 * What each node should have, pushed whole on connect and on every change. Generations rise
 * across hub restarts (seeded from the clock) so an agent can tell a newer state from an older one.
 */
export class DesiredStatePusher {
  private generation: number;
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly registry: AgentRegistry,
    private readonly namespaces: NamespaceService,
    now: number,
  ) {
    this.generation = now;
  }

  start(): void {
    this.unsubscribe = this.namespaces.subscribe(() => this.pushAll());
  }

  stop(): void {
    this.unsubscribe();
  }

  desiredFor(s: Pick<Session, 'clusterName'>): Omit<Desired, 'type' | 'generation'> {
    return { namespaces: this.namespaces.desired(s.clusterName) };
  }

  push(s: Session): void {
    const generation = ++this.generation;
    s.sentGeneration = generation;
    s.link.send({ type: 'desired', generation, ...this.desiredFor(s) });
  }

  pushAll(): void {
    for (const s of this.registry.all()) this.push(s);
  }
}
