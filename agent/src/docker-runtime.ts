import Docker from 'dockerode';
import type { InstanceStatus, WorkloadSpec } from '../../shared/src/protocol.js';
import type { Logger } from '../../shared/src/log.js';
import { mapLimit } from '../../shared/src/map-limit.js';
import { createOptions, demuxLogLines, LABEL, type Owner } from './docker-spec.js';
import type { ActualNode, DesiredNode, Runtime } from './runtime.js';

type ContainerInfo = Docker.ContainerInfo;

const CREATE_CONCURRENCY = 4;

/** Namespaces as Docker networks `ns<id>`, workloads as labelled containers, through dockerode. */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private pulling = new Set<string>();

  constructor(
    private readonly docker: Docker,
    private readonly owner: () => Owner,
    private readonly log: Logger,
  ) {}

  async reconcile(want: DesiredNode): Promise<ActualNode> {
    const errors: string[] = [];
    const namespaces = await this.reconcileNetworks(want.namespaces, errors);
    const instances = await this.reconcileContainers(want.workloads, new Set(namespaces));
    return errors.length ? { namespaces, instances, error: errors.join('; ') } : { namespaces, instances };
  }

  private async reconcileNetworks(desired: string[], errors: string[]): Promise<string[]> {
    const me = this.owner();
    const networks = await this.docker.listNetworks();
    const names = new Set(networks.map((n) => n.Name));
    for (const ns of desired) {
      if (names.has(ns)) continue; // another agent on this Docker host may own it; sharing it is fine
      try {
        await this.docker.createNetwork({
          Name: ns,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: { [LABEL.node]: me.nodeName, [LABEL.cluster]: me.clusterName, [LABEL.namespace]: ns },
        });
        names.add(ns);
        this.log.info('namespace network created', { namespace: ns });
      } catch (e) {
        const msg = (e as Error).message;
        if (/already exists/i.test(msg)) names.add(ns);
        else errors.push(`create network ${ns}: ${msg}`);
      }
    }
    await this.dropDuplicateNetworks(desired);
    const want = new Set(desired);
    for (const n of networks) {
      const labels = n.Labels ?? {};
      if (labels[LABEL.node] !== me.nodeName || !labels[LABEL.namespace] || want.has(n.Name)) continue;
      await this.removeNamespaceContainers(n.Name);
      try {
        await this.docker.getNetwork(n.Id).remove();
        names.delete(n.Name);
        this.log.info('namespace network removed', { namespace: n.Name });
      } catch (e) {
        errors.push(`remove network ${n.Name}: ${(e as Error).message}`);
      }
    }
    return desired.filter((ns) => names.has(ns));
  }

  /**
   * Two agents sharing one Docker host may both create `nsX` (Docker does not enforce unique
   * names): every agent keeps the network with the smallest id and removes its own others.
   */
  private async dropDuplicateNetworks(desired: string[]): Promise<void> {
    const me = this.owner().nodeName;
    const want = new Set(desired);
    const byName = new Map<string, Docker.NetworkInspectInfo[]>();
    for (const n of await this.docker.listNetworks()) {
      if (want.has(n.Name)) byName.set(n.Name, [...(byName.get(n.Name) ?? []), n]);
    }
    for (const list of byName.values()) {
      if (list.length < 2) continue;
      const keep = [...list].sort((a, b) => (a.Id < b.Id ? -1 : 1))[0]!;
      for (const n of list) {
        if (n.Id === keep.Id || n.Labels?.[LABEL.node] !== me) continue;
        await this.docker.getNetwork(n.Id).remove().catch(() => undefined);
        this.log.info('duplicate namespace network removed', { namespace: n.Name });
      }
    }
  }

  private async removeNamespaceContainers(ns: string): Promise<void> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.node}=${this.owner().nodeName}`, `${LABEL.namespace}=${ns}`] } });
    for (const c of list) await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }

  private async mine(): Promise<ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [`${LABEL.node}=${this.owner().nodeName}`, LABEL.instance] } });
  }

  private async reconcileContainers(workloads: WorkloadSpec[], namespaces: Set<string>): Promise<InstanceStatus[]> {
    const want = new Map(workloads.map((w) => [w.instanceId, w]));
    const existing = new Map<string, ContainerInfo>();
    for (const c of await this.mine()) {
      const id = c.Labels[LABEL.instance]!;
      const w = want.get(id);
      if (!w || c.Labels[LABEL.spec] !== w.specHash || existing.has(id)) {
        await this.docker.getContainer(c.Id).remove({ force: true }).catch((e: Error) => this.log.warn('remove failed', { instanceId: id, error: e.message }));
        this.log.info('container removed', { instanceId: id, reason: w ? 'spec changed' : 'no longer desired' });
        continue;
      }
      existing.set(id, c);
    }
    // Creations run a few at a time: one container takes a Docker round trip of ~0.3 s here.
    return mapLimit(workloads, CREATE_CONCURRENCY, async (w): Promise<InstanceStatus> => {
      const c = existing.get(w.instanceId);
      if (c) {
        if (c.State === 'exited' || c.State === 'created') await this.docker.getContainer(c.Id).start().catch(() => undefined);
        return this.statusOf(w, c.Id);
      }
      if (!namespaces.has(w.namespace)) {
        return { instanceId: w.instanceId, specHash: w.specHash, state: 'error', restarts: 0, startedAt: 0, error: `namespace ${w.namespace} is not present on this node` };
      }
      return this.create(w);
    });
  }

  /** Calls `onChange` when one of this node's containers dies or disappears (faster than the timer). */
  async watch(onChange: () => void): Promise<() => void> {
    const stream = (await this.docker.getEvents({
      filters: { type: ['container'], event: ['die', 'destroy', 'oom'], label: [`${LABEL.node}=${this.owner().nodeName}`] },
    })) as NodeJS.ReadableStream & { destroy?: () => void };
    stream.on('data', () => onChange());
    stream.on('error', () => undefined);
    return () => stream.destroy?.();
  }

  private async create(w: WorkloadSpec): Promise<InstanceStatus> {
    const base = { instanceId: w.instanceId, specHash: w.specHash, restarts: 0, startedAt: 0 };
    if (this.pulling.has(w.image)) return { ...base, state: 'pulling' };
    try {
      const opts = createOptions(w, this.owner());
      if (!(await this.hasImage(w.image))) {
        this.pulling.add(w.image);
        try {
          await this.pull(w);
        } finally {
          this.pulling.delete(w.image);
        }
      }
      const container = await this.docker.createContainer(opts);
      await container.start();
      this.log.info('container started', { instanceId: w.instanceId, app: w.appName, version: w.version });
      return this.statusOf(w, container.id);
    } catch (e) {
      const error = (e as Error).message;
      this.log.warn('container could not be started', { instanceId: w.instanceId, error });
      return { ...base, state: 'error', error };
    }
  }

  private async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch {
      return false;
    }
  }

  private async pull(w: WorkloadSpec): Promise<void> {
    // The engine refuses at once (HTTP 500) when the registry does, e.g. unauthorized or unknown
    // manifest: that error names the image's pull too, without dockerode's "(HTTP code 500) ..." prefix.
    const stream = await this.docker.pull(w.image, w.pullAuth ? { authconfig: w.pullAuth } : {}).catch((e: Error) => {
      throw new Error(`pull ${w.image}: ${e.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim()}`);
    });
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
        const failed = err ?? out.find((o) => o.error);
        if (failed) reject(new Error(`pull ${w.image}: ${err ? err.message : (failed as { error: string }).error}`));
        else resolve();
      }),
    );
  }

  private async statusOf(w: WorkloadSpec, containerId: string): Promise<InstanceStatus> {
    const base = { instanceId: w.instanceId, specHash: w.specHash, containerId };
    try {
      const info = await this.docker.getContainer(containerId).inspect();
      const st = info.State;
      const startedAt = Date.parse(st.StartedAt);
      return {
        ...base,
        state: st.Running ? 'running' : st.Status === 'created' ? 'creating' : 'exited',
        ...(st.Running ? {} : { exitCode: st.ExitCode }),
        restarts: info.RestartCount ?? 0,
        startedAt: Number.isFinite(startedAt) && startedAt > 0 ? startedAt : 0,
        ...(st.Error ? { error: st.Error } : {}),
      };
    } catch (e) {
      return { ...base, state: 'error', restarts: 0, startedAt: 0, error: (e as Error).message };
    }
  }

  async logs(instanceId: string, tail: number): Promise<string[]> {
    const c = (await this.mine()).find((x) => x.Labels[LABEL.instance] === instanceId);
    if (!c) throw new Error(`instance ${instanceId} has no container on this node`);
    const buf = (await this.docker.getContainer(c.Id).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
    return demuxLogLines(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
  }

  async close(): Promise<void> {}
}

/** A Docker client from DOCKER_HOST or the default socket; throws when the engine does not answer. */
export async function connectDocker(): Promise<Docker> {
  const docker = new Docker();
  await docker.ping();
  return docker;
}
