import { EventEmitter } from 'node:events';
import type { BusinessRepo } from '../store/types.js';

/** The business namespace name for a business id (`ns123`). */
export const namespaceOf = (businessId: number) => `ns${businessId}`;

/**
 * Desired namespaces: one per approved business, on every node of every cluster, including
 * clusters and nodes that join later. Derived from the businesses, never stored twice; the
 * agent side subscribes and pushes the list to nodes.
 */
export class NamespaceService {
  private readonly events = new EventEmitter();

  constructor(private readonly businesses: BusinessRepo) {}

  /** Namespaces every edge node of `clusterName` must have (the same for every cluster). */
  desired(_clusterName?: string): string[] {
    return this.businesses
      .all()
      .filter((b) => b.status === 1)
      .map((b) => namespaceOf(b.id));
  }

  /** Calls `fn` with the new desired list after each change; returns an unsubscribe function. */
  subscribe(fn: (namespaces: string[]) => void): () => void {
    this.events.on('change', fn);
    return () => this.events.off('change', fn);
  }

  /** Called by the business service after an approval or deletion has been saved. */
  changed(): void {
    this.events.emit('change', this.desired());
  }
}
