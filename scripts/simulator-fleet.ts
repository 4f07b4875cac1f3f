/** A fleet of simulated agents in one process: naming, ramp, churn, counters. */
import { signJoinToken } from '../hub/src/agents/credentials.js';
import { AGENT_WS_PATH, type Facts } from '../shared/src/protocol.js';
import { SimAgent, type AgentHost, type Counter, type KillMode } from './simulator-agent.js';
import { TimingWheel } from './simulator-wheel.js';

export interface FleetOptions {
  hubUrl: string;
  /** The hub's HUB_DATA_DIR/jwt.key contents: join tokens are signed here, as scripts/start.ts does. */
  joinKey: Uint8Array;
  agents: number;
  clusters: number;
  /** Spread sockets over 127.0.0.1..127.0.0.<sourceIps> (each source address has its own ports). */
  sourceIps: number;
  /** `full` facts carry the optional hostname/arch/distro too. */
  facts: 'full' | 'minimal';
  /** Each agent reports changed facts this often (0: never, like a real agent on a stable host). */
  factsEveryMs: number;
  /** Connections being opened at once during the ramp. */
  rampConcurrency: number;
}

export interface Victim {
  nodeName: string;
  clusterName: string;
  mode: KillMode;
  /** Date.now() of the kill. */
  killedAt: number;
}

export const clusterName = (k: number) => `sim-c${String(k).padStart(4, '0')}`;
export const nodeName = (i: number) => `sim-n${String(i).padStart(6, '0')}`;

function factsOf(i: number, full: boolean): Facts {
  const base: Facts = {
    operatingSystem: 'Linux',
    kernelVersion: '6.1.0-26-amd64',
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    cpu: [4, 8, 16, 32][i % 4]!,
    memory: [8, 16, 32, 64][i % 4]! * 2 ** 30,
    gpu: i % 10 === 0 ? 16 * 2 ** 30 : 0,
    disk: (2 + (i % 8)) * 2 ** 40,
  };
  return full ? { ...base, hostname: nodeName(i), arch: 'x64', distro: 'Debian GNU/Linux 12' } : base;
}

export class Fleet implements AgentHost {
  readonly wsUrl: string;
  readonly agents: SimAgent[] = [];
  readonly counters: Record<Counter, number> = {
    heartbeats: 0, pings: 0, statuses: 0, acks: 0, facts: 0, connects: 0, welcomes: 0, enrolled: 0, refused: 0, closed: 0, pingTimeouts: 0,
  };
  upCount = 0;
  private readonly tokens = new Map<string, string>();
  private readonly wheel = new TimingWheel<SimAgent>(25, (a) => a.tick());
  private waiters: (() => void)[] = [];

  constructor(private readonly o: FleetOptions) {
    this.wsUrl = o.hubUrl.replace(/^http/, 'ws') + AGENT_WS_PATH;
    for (let i = 0; i < o.agents; i++) {
      const local = o.sourceIps > 1 ? `127.0.0.${1 + (i % o.sourceIps)}` : undefined;
      this.agents.push(new SimAgent(this, nodeName(i), clusterName(i % o.clusters), factsOf(i, o.facts === 'full'), local, o.factsEveryMs));
    }
  }

  async init(): Promise<void> {
    for (let k = 0; k < this.o.clusters; k++) {
      this.tokens.set(clusterName(k), await signJoinToken(this.o.joinKey, clusterName(k), 7 * 24 * 3600, Date.now()));
    }
    this.wheel.start();
  }

  joinToken(cluster: string): string {
    return this.tokens.get(cluster)!;
  }

  schedule(a: SimAgent, inMs: number): void {
    this.wheel.add(a, inMs);
  }

  unschedule(a: SimAgent): void {
    this.wheel.remove(a);
  }

  count(what: Counter, n = 1): void {
    this.counters[what] += n;
  }

  linked(_a: SimAgent, up: boolean): void {
    this.upCount += up ? 1 : -1;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `pred` holds (checked on every link change), or rejects after `timeoutMs`. */
  until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms (${this.upCount}/${this.agents.length} up)`)), timeoutMs);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Connects every agent, at most `rampConcurrency` handshakes at once; resolves when all are welcomed. */
  async ramp(timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    let next = 0;
    const launch = () => {
      while (next < this.agents.length && next - this.upCount < this.o.rampConcurrency) this.agents[next++]!.connect();
    };
    const pump = setInterval(launch, 5);
    launch();
    try {
      await this.until(() => this.upCount === this.agents.length, timeoutMs, 'ramp');
    } finally {
      clearInterval(pump);
    }
    return performance.now() - t0;
  }

  /**
   * Kills `count` agents, alternating `modes`, each at a random moment within `spreadMs` (so
   * their deaths fall at every phase of the hub's checks), drawn from as few clusters as possible
   * (so a watcher can poll a few clusters rather than every victim). Returns the plan at once.
   */
  kill(count: number, modes: KillMode[], spreadMs = 0): Victim[] {
    const live = this.agents.filter((a) => a.up && !a.dead);
    const byCluster = new Map<string, SimAgent[]>();
    for (const a of live) {
      const list = byCluster.get(a.clusterName);
      if (list) list.push(a);
      else byCluster.set(a.clusterName, [a]);
    }
    const clusters = [...byCluster.keys()].sort(() => Math.random() - 0.5);
    const picked: SimAgent[] = [];
    for (const c of clusters) {
      for (const a of byCluster.get(c)!.sort(() => Math.random() - 0.5)) {
        if (picked.length < count) picked.push(a);
      }
      if (picked.length >= count) break;
    }
    const now = Date.now();
    return picked.map((a, i) => {
      const mode = modes[i % modes.length]!;
      const delay = Math.floor(Math.random() * spreadMs);
      if (delay === 0) a.kill(mode);
      else setTimeout(() => a.kill(mode), delay);
      return { nodeName: a.nodeName, clusterName: a.clusterName, mode, killedAt: now + delay };
    });
  }

  /** Restarts every killed agent; resolves when all agents are up again. */
  async revive(timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    for (const a of this.agents) if (a.dead) a.revive();
    await this.until(() => this.upCount === this.agents.length, timeoutMs, 'revive');
    return performance.now() - t0;
  }

  stats() {
    return { agents: this.agents.length, up: this.upCount, dead: this.agents.filter((a) => a.dead).length, ...this.counters };
  }

  stop(): void {
    this.wheel.stop();
    for (const a of this.agents) a.stop();
  }
}
