/** What the agent needs of a container runtime; implementations per outside system. */
export interface Runtime {
  readonly kind: 'docker' | 'none';
  /** Makes the node's namespaces match `namespaces`; returns those that exist afterwards. */
  applyNamespaces(namespaces: string[]): Promise<{ namespaces: string[]; error?: string }>;
  close(): Promise<void>;
}

/** AGENT_RUNTIME=none: facts and heartbeats only; workload commands are answered with an error. */
export class NoRuntime implements Runtime {
  readonly kind = 'none' as const;

  async applyNamespaces(): Promise<{ namespaces: string[]; error?: string }> {
    return { namespaces: [], error: 'this agent runs with AGENT_RUNTIME=none and cannot create namespaces or workloads' };
  }

  async close(): Promise<void> {}
}
