/** The hub under test: a real `dist/hub/src/main.js` process, its CPU and memory from /proc, and its profiler. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { withFileLimit } from './bench-util.js';

const HUB_MAIN = join(dirname(fileURLToPath(import.meta.url)), '../hub/src/main.js');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export interface HubOptions {
  dataDir: string;
  port: number;
  heartbeatMs: number;
  graceMs: number;
  adminPassword: string;
  /** Starts the hub with the inspector on (for --profile). */
  inspect: boolean;
}

export interface Hub {
  proc: ChildProcess;
  pid: number;
  url: string;
  inspectorUrl?: string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startHub(o: HubOptions, timeoutMs = 60_000): Promise<Hub> {
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HUB_'))),
    HUB_HOST: '127.0.0.1',
    HUB_PORT: String(o.port),
    HUB_DATA_DIR: o.dataDir,
    HUB_ADMIN_PASSWORD: o.adminPassword,
    HUB_HEARTBEAT_MS: String(o.heartbeatMs),
    HUB_NODE_GRACE_MS: String(o.graceMs),
    HUB_LOG_LEVEL: 'warn',
  };
  const nodeArgs = [...(o.inspect ? ['--inspect=127.0.0.1:0'] : []), HUB_MAIN];
  const [cmd, args] = withFileLimit(65_536, nodeArgs);
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let lines: string[] = [];
  let out = '';
  let listening = false;
  let inspectorUrl: string | undefined;
  const keep = (s: string) => {
    lines.push(...s.split('\n').filter(Boolean));
    if (lines.length > 200) lines = lines.slice(-100);
  };
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the hub did not start in ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
      keep(s);
      inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(s)?.[1];
    });
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      keep(s);
      if (listening) return;
      out += s;
      const m = /^hub listening on (http:\/\/\S+)$/m.exec(out);
      if (!m) return;
      listening = true;
      clearTimeout(timer);
      resolve({
        proc,
        pid: proc.pid!,
        url: m[1]!,
        inspectorUrl,
        stop: () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited (${code}) before listening:\n${lines.join('\n')}`));
    });
  });
}

/** CPU time (ms) and memory of a process, from /proc. */
export function procSample(pid: number): { cpuMs: number; rssMb: number; at: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
  const ticks = Number(f[11]) + Number(f[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / CLK_TCK, rssMb: kb('VmRSS') / 1024, at: performance.now() };
}

/** Percent of one core used between two samples. */
export const cpuPct = (a: { cpuMs: number; at: number }, b: { cpuMs: number; at: number }) => (100 * (b.cpuMs - a.cpuMs)) / (b.at - a.at);

/** The V8 CPU profiler of a hub started with `inspect`, over the inspector protocol. */
export class Profiler {
  private id = 0;
  private readonly pending = new Map<number, (r: { result?: unknown; error?: { message: string } }) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (m.id !== undefined) this.pending.get(m.id)?.(m);
    });
  }

  static connect(url: string): Promise<Profiler> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Profiler(ws)));
      ws.once('error', reject);
    });
  }

  private call(method: string, params: object = {}): Promise<unknown> {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (r) => {
        this.pending.delete(id);
        if (r.error) reject(new Error(`${method}: ${r.error.message}`));
        else resolve(r.result);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async start(): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: 200 });
    await this.call('Profiler.start');
  }

  /** Stops and returns the profile (the .cpuprofile JSON). */
  async stop(): Promise<unknown> {
    const r = (await this.call('Profiler.stop')) as { profile: unknown };
    return r.profile;
  }

  close(): void {
    this.ws.close();
  }
}
