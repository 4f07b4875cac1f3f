import type { InstanceStatus, WorkloadSpec } from '../../shared/src/protocol.js';

/** What the node should have. */
export interface DesiredNode {
  namespaces: string[];
  workloads: WorkloadSpec[];
}

/** What the node has, after a reconcile. */
export interface ActualNode {
  namespaces: string[];
  instances: InstanceStatus[];
  error?: string;
}

/** What the agent needs of a container runtime; implementations per outside system. */
export interface Runtime {
  readonly kind: 'docker' | 'none';
  /** Moves the node towards `want` (idempotent; healthy containers are left alone) and reports what exists. */
  reconcile(want: DesiredNode): Promise<ActualNode>;
  /** The last `tail` log lines of an instance's container. */
  logs(instanceId: string, tail: number): Promise<string[]>;
  /** Optional: calls `onChange` when the runtime sees one of its objects change; returns a stop function. */
  watch?(onChange: () => void): Promise<() => void>;
  close(): Promise<void>;
}

const NONE_ERROR = 'this agent runs with AGENT_RUNTIME=none and cannot create namespaces or workloads';

/** AGENT_RUNTIME=none: facts and heartbeats only; workload commands are answered with an error. */
export class NoRuntime implements Runtime {
  readonly kind = 'none' as const;

  async reconcile(want: DesiredNode): Promise<ActualNode> {
    const instances = want.workloads.map(
      (w): InstanceStatus => ({ instanceId: w.instanceId, specHash: w.specHash, state: 'error', restarts: 0, startedAt: 0, error: NONE_ERROR }),
    );
    return want.namespaces.length || want.workloads.length ? { namespaces: [], instances, error: NONE_ERROR } : { namespaces: [], instances };
  }

  async logs(): Promise<string[]> {
    throw new Error(NONE_ERROR);
  }

  async close(): Promise<void> {}
}
