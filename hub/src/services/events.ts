import { EventEmitter } from 'node:events';
import type { AlertRecord } from '../store/types.js';

/** Something that happened in the fleet, for the dashboard and other subscribers. */
export type FleetEvent =
  | { kind: 'node.ready'; clusterName: string; nodeName: string; ready: boolean; at: number; reason: string; lagMs?: number }
  | { kind: 'cluster.ready'; clusterName: string; ready: boolean; at: number }
  | { kind: 'node.facts'; clusterName: string; nodeName: string; at: number }
  | { kind: 'node.joined'; clusterName: string; nodeName: string; at: number }
  | { kind: 'node.deleted'; clusterName: string; nodeName: string; at: number }
  | InstanceStateEvent
  | { kind: 'alert'; alert: AlertRecord; at: number };

/** An instance's container state changed, as its agent reported (only its business sees it). */
export interface InstanceStateEvent {
  kind: 'instance.state';
  businessId: number;
  deployId: number;
  appName: string;
  instanceId: string;
  clusterName: string;
  nodeName: string;
  state: string;
  /** The state before; null for an instance first reported. */
  previous: string | null;
  restarts: number;
  error?: string;
  at: number;
}

/** In-process publish/subscribe of fleet events. */
export class EventBus {
  private readonly emitter = new EventEmitter();
  published = 0;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(e: FleetEvent): void {
    this.published++;
    this.emitter.emit('event', e);
  }

  /** Returns an unsubscribe function. */
  subscribe(fn: (e: FleetEvent) => void): () => void {
    this.emitter.on('event', fn);
    return () => this.emitter.off('event', fn);
  }
}
