import type { Session } from '../../hub/src/agents/registry.js';
import type { NodeRecord } from '../../hub/src/store/types.js';
import type { HubMessage, InstanceStatus } from '../../shared/src/protocol.js';
import { enrollNode, FakeLink, sessionInput } from './fleet.js';
import { makeTestHub, type TestHub } from './hub.js';
import { seedRoles, type RoleFixture } from './roles.js';

/** A link that answers the hub's requests (logs) at once, as an agent would. */
export class AnsweringLink extends FakeLink {
  session?: Session;
  constructor(private readonly answer: (msg: Extract<HubMessage, { type: 'request' }>) => unknown) {
    super();
  }
  onRespond?: (s: Session, id: string, result: unknown) => void;
  override send(msg: HubMessage): void {
    super.send(msg);
    if (msg.type === 'request' && this.session && this.onRespond) {
      const s = this.session;
      const result = this.answer(msg);
      queueMicrotask(() => this.onRespond!(s, msg.id, result));
    }
  }
}

export interface FleetNode {
  node: NodeRecord;
  link: AnsweringLink;
  session?: Session;
}

export interface AppHub {
  hub: TestHub;
  roles: RoleFixture;
  nodes: Record<string, FleetNode>;
  /** Node names of the instances of a deploy view, sorted. */
  nodeNames(view: { instances: { nodeName: string }[] }): string[];
  /** Marks an instance as running on its node, as the agent's status report would. */
  report(nodeName: string, instanceId: string, state?: InstanceStatus['state']): void;
  /** The workloads of the last desired state sent to a node. */
  desiredOf(nodeName: string): { instanceId: string; appName: string; version: string }[];
}

/**
 * A hub with every role and a fleet: GuangZhou has GZ1 (label cam), GZ2 (ready) and GZ3 (never
 * connected); BeiJing has BJ1 (ready). Answering links reply `lines` to log requests.
 */
export async function makeAppHub(ready = ['GZ1', 'GZ2', 'BJ1']): Promise<AppHub> {
  const hub = await makeTestHub();
  const roles = await seedRoles(hub);
  const nodes: Record<string, FleetNode> = {};
  for (const [cluster, name] of [['GuangZhou', 'GZ1'], ['GuangZhou', 'GZ2'], ['GuangZhou', 'GZ3'], ['BeiJing', 'BJ1']] as const) {
    const node = await enrollNode(hub.ctx, cluster, name);
    const link = new AnsweringLink((msg) => ({ lines: [`log of ${String(msg.params?.instanceId)} on ${name}`, `tail ${String(msg.params?.tail)}`] }));
    link.onRespond = (s, id, result) => hub.ctx.registry.respond(s, id, true, result);
    nodes[name] = { node, link };
  }
  for (const name of ready) {
    const n = nodes[name]!;
    n.session = hub.ctx.registry.attach(sessionInput(n.node, n.link));
    n.link.session = n.session;
  }
  const admin = roles.sysAdmin.token;
  const r = await hub.call('POST', '/v1/node/label', { token: admin, body: { nodeLabel: 'cam', clusterName: 'GuangZhou', nodeName: ['GZ1'] } });
  if (r.status !== 200) throw new Error(`label: ${r.body.message}`);

  return {
    hub,
    roles,
    nodes,
    nodeNames: (view) => view.instances.map((i) => i.nodeName).sort(),
    report(nodeName, instanceId, state = 'running') {
      const s = nodes[nodeName]!.session!;
      s.instances.set(instanceId, { instanceId, specHash: 'x', state, restarts: 0, startedAt: hub.clock.now() });
    },
    desiredOf(nodeName) {
      const sent = nodes[nodeName]!.link.sent.filter((m) => m.type === 'desired');
      const last = sent.at(-1);
      return last && last.type === 'desired' ? last.workloads : [];
    },
  };
}

/** A valid POST /v1/app body. */
export const appBody = (over: Record<string, unknown> = {}) => ({
  appName: 'nginx1',
  deployType: 'deployment',
  image: 'nginx:latest',
  version: '1.2',
  replicas: 3,
  port: [80],
  ...over,
});
