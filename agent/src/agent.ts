import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from '../../shared/src/log.js';
import { PROTOCOL_VERSION, type Desired, type Facts, type Hello, type InstanceStatus, type Welcome } from '../../shared/src/protocol.js';
import { VERSION } from '../../shared/src/version.js';
import type { AgentConfig } from './config.js';
import { HubLink } from './link.js';
import { LoadMeter } from './load.js';
import type { Runtime } from './runtime.js';
import type { AgentFiles, Identity, SavedDesired } from './state.js';

export interface AgentDeps {
  config: AgentConfig;
  files: AgentFiles;
  runtime: Runtime;
  log: Logger;
  collectFacts: () => Promise<Facts>;
  /** Where the contract lines go (stdout). */
  print: (line: string) => void;
}

/** The edge agent: joins the hub, reports facts and heartbeats, enforces the desired state. */
export class Agent {
  private identity?: Identity;
  private facts?: Facts;
  private desired?: SavedDesired;
  private link: HubLink;
  private factsTask?: ScheduledTask;
  private applying: Promise<void> = Promise.resolve();
  private reconcileTimer?: NodeJS.Timeout;
  private stopWatch?: () => void;
  private lastStatus = '';
  private lastStatusAt = 0;
  private queued = false;

  constructor(private readonly d: AgentDeps) {
    this.link = new HubLink(
      { wsUrl: d.config.wsUrl, token: () => this.token(), log: d.log },
      {
        hello: () => this.hello(),
        welcome: (w) => this.onWelcome(w),
        desired: (m) => this.onDesired(m),
        request: (method, params) => this.onRequest(method, params),
        refused: (why) => this.onRefused(why),
      },
    );
    const meter = new LoadMeter();
    this.link.setLoad(() => meter.read());
  }

  /** The cluster this node belongs to ('' before the first welcome). */
  get clusterName(): string {
    return this.identity?.clusterName ?? '';
  }

  private token(): string | undefined {
    return this.identity?.credential ?? this.d.config.token;
  }

  async start(): Promise<void> {
    await this.d.files.init();
    // Unreadable (a damaged disk), the identity is set aside: with AGENT_TOKEN the agent enrolls
    // again, and its saved enroll proof gets it the same node back.
    const id = await this.d.files.loadIdentity().catch(async (e: Error) => {
      this.d.log.warn('node identity unreadable; set aside (identity.rejected.json)', { error: e.message });
      await this.d.files.forgetIdentity();
      return undefined;
    });
    // Not keyed on the hub URL: the same hub reached by another address must keep the identity (a
    // re-enrollment would be refused with 4009); another hub refuses the credential, and onRefused
    // then falls back to the join token.
    if (id && id.nodeName === this.d.config.nodeName) this.identity = id;
    if (!this.identity && !this.d.config.token) {
      throw new Error('AGENT_TOKEN is required: this node has no identity yet (get a join token from POST /v1/cluster/token)');
    }
    // The saved state is a copy of what the hub sends on every connect: unreadable, it is set aside
    // rather than keeping the node from starting (and rejoining).
    this.desired = await this.d.files.loadDesired().catch(async (e: Error) => {
      this.d.log.warn('saved desired state unreadable; set aside until the hub sends it again', { error: e.message });
      await this.d.files.setAsideDesired();
      return undefined;
    });
    if (this.desired) {
      this.d.log.info('enforcing the saved desired state until the hub answers', { generation: this.desired.generation });
      this.enforce();
    }
    // Containers are checked on a timer too, so a killed one is replaced while the hub is away.
    this.reconcileTimer = setInterval(() => this.enforce(), this.d.config.reconcileMs);
    this.stopWatch = await this.d.runtime.watch?.(() => this.enforce()).catch((e: Error) => {
      this.d.log.warn('cannot watch runtime events; relying on the reconcile timer', { error: e.message });
      return undefined;
    });
    this.facts = await this.d.collectFacts();
    this.factsTask = schedule(this.d.config.factsCron, () => this.refreshFacts(), { name: 'facts', noOverlap: true });
    this.link.start();
  }

  async stop(reason: string): Promise<void> {
    clearInterval(this.reconcileTimer);
    this.stopWatch?.();
    await this.factsTask?.destroy();
    await this.link.stop(reason);
    await this.applying;
    await this.d.runtime.close();
  }

  private async hello(): Promise<Hello> {
    this.facts ??= await this.d.collectFacts();
    return {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: VERSION,
      nodeName: this.d.config.nodeName,
      runtime: this.d.runtime.kind,
      facts: this.facts,
      ...(this.identity ? {} : { enrollProof: await this.d.files.enrollSecret() }),
    };
  }

  private async onWelcome(w: Welcome): Promise<void> {
    if (w.credential) {
      this.identity = { nodeId: w.nodeId, nodeName: w.nodeName, clusterName: w.clusterName, credential: w.credential, hubUrl: this.d.config.hubUrl };
      await this.d.files.saveIdentity(this.identity);
      this.d.log.info('enrolled; node identity saved', { nodeId: w.nodeId });
    }
    this.lastStatus = ''; // the hub needs a full report after each (re)connect
    this.d.print(`agent connected node=${w.nodeName} cluster=${w.clusterName}`);
  }

  private async onRefused(why: string): Promise<boolean> {
    if (this.identity && this.d.config.token) {
      this.d.log.warn('node credential refused; enrolling again with the join token', { why });
      this.identity = undefined;
      await this.d.files.forgetIdentity();
      return true;
    }
    this.d.log.error('the hub refused this agent; will retry', { why });
    return false;
  }

  private async onDesired(m: Desired): Promise<void> {
    this.desired = { generation: m.generation, namespaces: m.namespaces, workloads: m.workloads };
    // Applied before it is saved: a full or read-only disk (common on recording nodes) must not
    // hold the node back. The saved copy only matters while the hub is away.
    this.enforce();
    await this.d.files.saveDesired(this.desired).catch((e: Error) =>
      this.d.log.warn('desired state not saved; enforcing it from memory', { generation: m.generation, error: e.message }),
    );
    this.link.send({ type: 'ack', generation: m.generation });
  }

  /** Applies the latest desired state, one reconcile at a time, and reports what exists when it changed. */
  private enforce(): void {
    if (this.queued) return;
    this.queued = true;
    this.applying = this.applying.then(async () => {
      this.queued = false;
      const want = this.desired;
      if (!want) return;
      let report: { namespaces: string[]; instances: InstanceStatus[]; error?: string };
      try {
        report = await this.d.runtime.reconcile(want);
      } catch (e) {
        const error = (e as Error).message;
        this.d.log.warn('reconcile failed', { error });
        report = { namespaces: [], instances: [], error };
      }
      const text = JSON.stringify(report);
      const now = Date.now();
      if (text === this.lastStatus && now - this.lastStatusAt < 30_000) return;
      if (this.link.send({ type: 'status', generation: want.generation, ...report })) {
        this.lastStatus = text;
        this.lastStatusAt = now;
      }
    });
  }

  private async onRequest(method: string, params: Record<string, unknown>): Promise<unknown> {
    if (method === 'logs') {
      const instanceId = String(params.instanceId ?? '');
      const tail = Math.min(10_000, Math.max(1, Number(params.tail) || 100));
      return { lines: await this.d.runtime.logs(instanceId, tail) };
    }
    throw new Error(`unknown request ${method}`);
  }

  private async refreshFacts(): Promise<void> {
    const next = await this.d.collectFacts();
    if (JSON.stringify(next) === JSON.stringify(this.facts)) return;
    this.facts = next;
    if (this.link.sendFacts(next)) this.d.log.info('facts changed; sent to the hub');
  }
}
