import type { EventBus, FleetEvent } from './events.js';
import { can } from './permissions.js';
import type { Caller } from './users.js';

/** A fleet event with its stream id (the SSE `id:` line, what Last-Event-ID names). */
export interface StreamEvent {
  id: number;
  event: FleetEvent;
}

/**
 * Who may see an event: node, cluster and alert news go to every reader of nodes (roles 2-4);
 * instance states only to the deployment's business and the system admin.
 */
export function visibleTo(c: Caller, e: FleetEvent): boolean {
  switch (e.kind) {
    case 'instance.state':
      return can(c.role, 'deploy.read') && (c.role === 4 || c.user.businessId === e.businessId);
    case 'alert':
      return can(c.role, 'alert.read');
    default:
      return can(c.role, 'node.read');
  }
}

/** Whether the caller may see any kind of event at all (the stream refuses the others with 403). */
export function mayStream(c: Caller): boolean {
  return can(c.role, 'node.read') || can(c.role, 'deploy.read') || can(c.role, 'alert.read');
}

/** What a resuming client gets: the events it missed, or `gap` when some were already dropped. */
export type Replay = { kind: 'events'; events: StreamEvent[] } | { kind: 'gap' };

/**
 * The recent fleet events, numbered. Ids start at the hub's start time in ms x 1000, so those of
 * a restarted hub are larger than any of the previous one's: a Last-Event-ID from before a
 * restart is older than the oldest kept and the client is told to resynchronise.
 */
export class EventLog {
  private readonly ring: (StreamEvent | undefined)[];
  /** Index in `ring` of the oldest kept event. */
  private head = 0;
  private count = 0;
  private nextId: number;
  private readonly listeners = new Set<(e: StreamEvent) => void>();

  constructor(
    bus: EventBus,
    readonly capacity: number,
    startMs: number,
  ) {
    this.ring = new Array(capacity);
    this.nextId = Math.max(1, Math.floor(startMs)) * 1000 + 1;
    bus.subscribe((e) => this.append(e));
  }

  /** The id the next event will get minus one: what a client that has seen everything holds. */
  get latestId(): number {
    return this.nextId - 1;
  }

  get size(): number {
    return this.count;
  }

  private append(event: FleetEvent): void {
    const rec = { id: this.nextId++, event };
    if (this.count < this.capacity) {
      this.ring[(this.head + this.count) % this.capacity] = rec;
      this.count++;
    } else {
      this.ring[this.head] = rec;
      this.head = (this.head + 1) % this.capacity;
    }
    for (const l of this.listeners) l(rec);
  }

  /** The kept events after `lastId`; a gap when `lastId` is older than the oldest kept or newer than the newest. */
  since(lastId: number): Replay {
    if (lastId > this.latestId) return { kind: 'gap' };
    const oldest = this.count ? this.ring[this.head]!.id : this.nextId;
    if (lastId < oldest - 1) return { kind: 'gap' };
    const events: StreamEvent[] = [];
    for (let i = 0; i < this.count; i++) {
      const rec = this.ring[(this.head + i) % this.capacity]!;
      if (rec.id > lastId) events.push(rec);
    }
    return { kind: 'events', events };
  }

  /** Returns an unsubscribe function. */
  subscribe(fn: (e: StreamEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Open subscriptions (connected stream clients). */
  get subscribers(): number {
    return this.listeners.size;
  }
}
