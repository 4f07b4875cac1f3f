import type { InstanceStatus } from '../../../shared/src/protocol.js';
import type { Session } from '../agents/registry.js';
import type { DeployRecord, Store } from '../store/types.js';
import type { EventBus } from './events.js';

/**
 * Publishes `instance.state` for every instance of a known deployment whose state an agent's
 * status report changed (first reports included, gone instances as `removed`).
 */
export function publishInstanceChanges(store: Store, events: EventBus, s: Session, before: ReadonlyMap<string, InstanceStatus>, now: number): number {
  const changed: { id: string; now?: InstanceStatus; was?: InstanceStatus }[] = [];
  for (const i of s.instances.values()) {
    const was = before.get(i.instanceId);
    if (was?.state !== i.state) changed.push({ id: i.instanceId, now: i, was });
  }
  for (const was of before.values()) if (!s.instances.has(was.instanceId)) changed.push({ id: was.instanceId, was });
  if (!changed.length) return 0;
  const owner = new Map<string, DeployRecord>();
  for (const d of store.deploys.all()) for (const i of d.instances) if (i.nodeId === s.nodeId) owner.set(i.instanceId, d);
  let published = 0;
  for (const c of changed) {
    const d = owner.get(c.id);
    if (!d) continue; // a container of a deleted deployment: nobody's to tell
    events.publish({
      kind: 'instance.state',
      businessId: d.businessId,
      deployId: d.id,
      appName: d.appName,
      instanceId: c.id,
      clusterName: s.clusterName,
      nodeName: s.nodeName,
      state: c.now?.state ?? 'removed',
      previous: c.was?.state ?? null,
      restarts: c.now?.restarts ?? c.was?.restarts ?? 0,
      ...(c.now?.error ? { error: c.now.error } : {}),
      at: now,
    });
    published++;
  }
  return published;
}
