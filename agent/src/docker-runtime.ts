import Docker from 'dockerode';
import type { Runtime } from './runtime.js';

/** Docker objects carry these labels; an agent touches only objects with its own vsm.node (CONTRACT.md). */
export const LABEL = { node: 'vsm.node', cluster: 'vsm.cluster', namespace: 'vsm.namespace', app: 'vsm.app' } as const;

/** Namespaces as Docker networks named ns<businessId>, through dockerode. */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;

  constructor(
    private readonly docker: Docker,
    private readonly nodeName: string,
    private readonly clusterName: () => string,
  ) {}

  async applyNamespaces(desired: string[]): Promise<{ namespaces: string[]; error?: string }> {
    const errors: string[] = [];
    const networks = await this.docker.listNetworks();
    const byName = new Map(networks.map((n) => [n.Name, n]));
    for (const ns of desired) {
      if (byName.has(ns)) continue; // another agent on this Docker host may own it; using it is fine
      try {
        await this.docker.createNetwork({
          Name: ns,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: { [LABEL.node]: this.nodeName, [LABEL.cluster]: this.clusterName(), [LABEL.namespace]: ns },
        });
      } catch (e) {
        const msg = (e as Error).message;
        if (!/already exists/i.test(msg)) errors.push(`create network ${ns}: ${msg}`);
      }
    }
    const want = new Set(desired);
    for (const n of networks) {
      const labels = n.Labels ?? {};
      if (labels[LABEL.node] !== this.nodeName || !labels[LABEL.namespace] || want.has(n.Name)) continue;
      try {
        await this.docker.getNetwork(n.Id).remove();
      } catch (e) {
        errors.push(`remove network ${n.Name}: ${(e as Error).message}`);
      }
    }
    const after = new Set((await this.docker.listNetworks()).map((n) => n.Name));
    const present = desired.filter((ns) => after.has(ns));
    return errors.length ? { namespaces: present, error: errors.join('; ') } : { namespaces: present };
  }

  async close(): Promise<void> {}
}

/** A Docker client from DOCKER_HOST or the default socket; throws when the engine does not answer. */
export async function connectDocker(): Promise<Docker> {
  const docker = new Docker();
  await docker.ping();
  return docker;
}
