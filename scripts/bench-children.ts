/** The bench's helper processes: the agent simulator (driven over stdin/stdout) and the REST load generator. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Fleet, Victim } from './simulator-fleet.js';
import { withFileLimit } from './bench-util.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** What the simulator's `stats` command answers: Fleet.stats() (the hand copy of it had drifted). */
export type SimStats = ReturnType<Fleet['stats']>;

/** The simulator process in --control mode. */
export class SimulatorProcess {
  private id = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-4000)));
    // A simulator that died makes the next command write fail with EPIPE; its exit already rejects every
    // pending call with its stderr, which says more, so the write error itself is not thrown again.
    proc.stdin!.on('error', () => undefined);
    void this.exited.then((code) => {
      for (const p of this.pending.values()) p.reject(new Error(`the simulator exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  static start(args: string[]): Promise<SimulatorProcess> {
    const [cmd, argv] = withFileLimit(65_536, [join(HERE, 'simulator.js'), '--control', ...args]);
    const sim = new SimulatorProcess(spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] }));
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: sim.proc.stdout! });
      lines.on('line', (line) => {
        const m = JSON.parse(line) as { id?: number; event?: string; ok?: boolean; error?: string };
        if (m.event === 'ready') return resolve(sim);
        const p = m.id !== undefined ? sim.pending.get(m.id) : undefined;
        if (!p) return;
        sim.pending.delete(m.id!);
        if (m.ok) p.resolve(m);
        else p.reject(new Error(`simulator: ${m.error}`));
      });
      void sim.exited.then((code) => reject(new Error(`the simulator exited (${code}) at start: ${sim.stderr}`)));
    });
  }

  private call<T>(cmd: string, params: object = {}): Promise<T> {
    const id = ++this.id;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.stdin!.write(JSON.stringify({ id, cmd, ...params }) + '\n');
    });
  }

  ramp = (timeoutMs: number) => this.call<{ ms: number }>('ramp', { timeoutMs });
  stats = () => this.call<SimStats>('stats');
  kill = (count: number, modes: string[], spreadMs: number) => this.call<{ victims: Victim[] }>('kill', { count, modes, spreadMs });
  revive = (timeoutMs: number) => this.call<{ ms: number }>('revive', { timeoutMs });

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.proc.stdin!.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}

export interface LoadResult {
  path: string;
  rate: number;
  requests: number;
  achievedRate: number;
  errors: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Runs scripts/load.js once and returns its summary. */
export function runLoad(o: { url: string; token: string; rate: number; durationS: number; path: string; clusters: number; warmupS: number }): Promise<LoadResult> {
  const args = [join(HERE, 'load.js'), '--url', o.url, '--token', o.token, '--rate', String(o.rate), '--duration-s', String(o.durationS)];
  args.push('--path', o.path, '--clusters', String(o.clusters), '--warmup-s', String(o.warmupS));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim()) as LoadResult);
      else reject(new Error(`load exited (${code}): ${err}`));
    });
  });
}
