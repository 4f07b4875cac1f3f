import type { AgentLink, Session } from '../../hub/src/agents/registry.js';
import type { HubContext } from '../../hub/src/context.js';
import type { NodeRecord } from '../../hub/src/store/types.js';
import { PROTOCOL_VERSION, type Facts, type Hello, type HubMessage } from '../../shared/src/protocol.js';

const GiB = 1024 ** 3;

/** Plausible facts of an edge node; override what a test cares about. */
export function sampleFacts(over: Partial<Facts> = {}): Facts {
  return {
    operatingSystem: 'Linux',
    kernelVersion: '6.1.0-18-amd64',
    ip: '10.0.0.7',
    cpu: 8,
    memory: 16 * GiB,
    gpu: 0,
    disk: 500 * GiB,
    ...over,
  };
}

/** The hello an agent of `nodeName` sends. */
export function helloFor(nodeName: string, facts: Facts = sampleFacts()): Hello {
  return { type: 'hello', protocolVersion: PROTOCOL_VERSION, agentVersion: '0.1.0', nodeName, runtime: 'none', facts };
}

/** The socket side of a session, recording what the hub sends and how it closes. */
export class FakeLink implements AgentLink {
  readonly sent: HubMessage[] = [];
  closed?: { code: number; reason: string };

  send(msg: HubMessage): void {
    this.sent.push(msg);
  }

  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
}

/** What AgentRegistry.attach needs of a node and its link. */
export function sessionInput(n: Pick<NodeRecord, 'id' | 'clusterName' | 'nodeName'>, link: AgentLink = new FakeLink()) {
  return { nodeId: n.id, clusterName: n.clusterName, nodeName: n.nodeName, link };
}

/** Enrolls a node as a first join with a join token would (no socket). */
export async function enrollNode(ctx: HubContext, clusterName: string, nodeName: string, facts?: Facts): Promise<NodeRecord> {
  return (await ctx.nodes.enroll(clusterName, helloFor(nodeName, facts))).node;
}

/** Attaches a fake live session to an enrolled node: the node is ready until its heartbeat goes stale. */
export function connectNode(ctx: HubContext, node: NodeRecord): { session: Session; link: FakeLink } {
  const link = new FakeLink();
  return { session: ctx.registry.attach(sessionInput(node, link)), link };
}
