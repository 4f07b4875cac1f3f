import { createHash } from 'node:crypto';
import type { WorkloadSpec } from '../../../shared/src/protocol.js';
import type { AppVersion, DeployRecord, InstanceRecord } from '../store/types.js';
import { namespaceOf } from './namespaces.js';

export type PullAuth = NonNullable<WorkloadSpec['pullAuth']>;

/** The container an instance needs; the hash covers everything that requires a new container. */
export function workloadSpecOf(d: DeployRecord, v: AppVersion, i: InstanceRecord, pullAuth?: PullAuth): WorkloadSpec {
  const spec: Omit<WorkloadSpec, 'specHash' | 'pullAuth'> = {
    instanceId: i.instanceId,
    deployId: d.id,
    namespace: namespaceOf(d.businessId),
    appName: d.appName,
    version: v.version,
    image: v.image,
    command: v.command,
    env: v.env,
    ports: v.port.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, ...(p.hostPort ? { hostPort: p.hostPort } : {}) })),
    volumes: v.volume,
    maxCPU: v.maxCPU,
    maxMemory: v.maxMemory,
    minMemory: v.minMemory,
    gpu: v.GPU,
  };
  // The deploy id is left out: a newer deploy that takes over running instances must not restart them.
  const { deployId: _deployId, ...hashed } = spec;
  const specHash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, 32);
  return { ...spec, specHash, ...(pullAuth ? { pullAuth } : {}) };
}
