import type { ContainerCreateOptions } from 'dockerode';
import type { WorkloadSpec } from '../../shared/src/protocol.js';
import { hostPathAllowed } from './host-paths.js';

/** Docker objects carry these labels; an agent touches only objects with its own vsm.node (CONTRACT.md). */
export const LABEL = {
  node: 'vsm.node',
  cluster: 'vsm.cluster',
  namespace: 'vsm.namespace',
  app: 'vsm.app',
  instance: 'vsm.instance',
  deploy: 'vsm.deploy',
  spec: 'vsm.spec',
  version: 'vsm.version',
} as const;

export interface Owner {
  nodeName: string;
  clusterName: string;
  hostPathAllow: readonly string[];
}

/** The container name of an instance on this node (Docker names are global on a host). */
export const containerName = (nodeName: string, instanceId: string) => `vsm-${nodeName}-${instanceId}`;

/** Docker create options for a workload: labels, network, limits, ports, volumes; throws on a refused host path. */
export function createOptions(w: WorkloadSpec, o: Owner): ContainerCreateOptions {
  const binds: string[] = [];
  for (const v of w.volumes) {
    const mode = v.readOnly ? ':ro' : '';
    if (v.source.startsWith('/')) {
      if (!hostPathAllowed(v.source, o.hostPathAllow)) throw new Error(`host path ${v.source} is not in this node's allow-list`);
      binds.push(`${v.source}:${v.target}${mode}`);
    } else {
      // Named volumes are scoped to the namespace so that tenants never share one.
      binds.push(`${w.namespace}_${v.source}:${v.target}${mode}`);
    }
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string }[]> = {};
  for (const p of w.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    if (p.hostPort) bindings[key] = [{ HostPort: String(p.hostPort) }];
  }
  return {
    name: containerName(o.nodeName, w.instanceId),
    Image: w.image,
    ...(w.command.length ? { Cmd: w.command } : {}),
    Env: w.env,
    ExposedPorts: exposed,
    Labels: {
      [LABEL.node]: o.nodeName,
      [LABEL.cluster]: o.clusterName,
      [LABEL.namespace]: w.namespace,
      [LABEL.app]: w.appName,
      [LABEL.instance]: w.instanceId,
      [LABEL.deploy]: String(w.deployId),
      [LABEL.spec]: w.specHash,
      [LABEL.version]: w.version,
    },
    HostConfig: {
      NetworkMode: w.namespace,
      RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
      Binds: binds,
      PortBindings: bindings,
      ...(w.maxCPU > 0 ? { CpuPeriod: 100_000, CpuQuota: Math.round(w.maxCPU * 1000) } : {}),
      ...(w.maxMemory > 0 ? { Memory: Math.round(w.maxMemory * 1024 * 1024) } : {}),
      ...(w.minMemory > 0 ? { MemoryReservation: Math.round(w.minMemory * 1024 * 1024) } : {}),
      ...(w.gpu > 0 ? { DeviceRequests: [{ Driver: 'nvidia', Count: w.gpu, Capabilities: [['gpu']] }] } : {}),
    },
  };
}

/** Splits Docker's multiplexed log stream (8-byte frame headers) into text lines. */
export function demuxLogLines(buf: Buffer): string[] {
  const chunks: Buffer[] = [];
  let i = 0;
  const framed = buf.length >= 8 && (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) chunks.push(buf);
  else {
    while (i + 8 <= buf.length) {
      const len = buf.readUInt32BE(i + 4);
      chunks.push(buf.subarray(i + 8, i + 8 + len));
      i += 8 + len;
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
