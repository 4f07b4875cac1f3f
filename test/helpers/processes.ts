import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root, from test/helpers (source) or dist/test/helpers (compiled). */
export const ROOT = (() => {
  let dir = resolve(fileURLToPath(new URL('.', import.meta.url)));
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..');
  return dir;
})();

/** The newest modification time (ms) of the files ending in `ext` below `dir`. */
export const newestMtime = (dir: string, ext: string): number => {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (e.name.endsWith(ext)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
};

/** Throws unless dist/ exists and is newer than the sources it is built from (tests run the built programs). */
export function assertBuilt(): void {
  const hubMain = join(ROOT, 'dist/hub/src/main.js');
  if (!existsSync(hubMain)) throw new Error('dist/ is missing: run `npx tsc -p .` before the integration tests');
  for (const part of ['hub/src', 'agent/src', 'shared/src']) {
    const src = newestMtime(join(ROOT, part), '.ts');
    const out = newestMtime(join(ROOT, 'dist', part), '.js');
    if (src > out) throw new Error(`dist/${part} is older than ${part}: run \`npx tsc -p .\` before the integration tests`);
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned program with its output kept as lines. */
export class Child {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    for (const stream of [proc.stdout, proc.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        for (const l of this.listeners) l();
      });
    }
    this.exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
    void this.exited.then(() => {
      for (const l of this.listeners) l();
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Lines at or after `from` that match. */
  matching(re: RegExp, from = 0): string[] {
    return this.lines.slice(from).filter((l) => re.test(l));
  }

  /** Waits for a line at or after index `from` that matches; fails on timeout or exit, showing the output. */
  waitForLine(re: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return new Promise((res, rej) => {
      const check = () => {
        for (let i = from; i < this.lines.length; i++) {
          const m = re.exec(this.lines[i]!);
          if (m) return done(() => res(m));
        }
        if (!this.running) done(() => rej(this.failure(`exited (${this.proc.exitCode ?? this.proc.signalCode}) before printing ${re}`)));
      };
      const timer = setTimeout(() => done(() => rej(this.failure(`printed no line matching ${re} within ${timeoutMs} ms`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        f();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Parsed JSON log lines whose `msg` matches. */
  logs(msg: RegExp): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const l of this.lines) {
      if (!l.startsWith('{')) continue;
      try {
        const r = JSON.parse(l) as Record<string, unknown>;
        if (typeof r.msg === 'string' && msg.test(r.msg)) out.push(r);
      } catch {
        // not a log record
      }
    }
    return out;
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<Exit> {
    if (this.running) this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(what: string): Error {
    return new Error(`${this.name} ${what}; its last output:\n${this.lines.slice(-25).join('\n')}`);
  }
}

/** Every program a test spawned, so that none outlives it. */
export class ProcessGroup {
  private readonly children: Child[] = [];

  /** Runs `node dist/<script>` with the given environment added. */
  spawn(name: string, script: string, env: Record<string, string>): Child {
    const base = { ...process.env };
    delete base.NODE_OPTIONS;
    const proc = spawn(process.execPath, [join(ROOT, 'dist', script)], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = new Child(name, proc);
    this.children.push(child);
    return child;
  }

  /** SIGKILLs every child still running and waits for them. */
  async killAll(): Promise<void> {
    await Promise.all(this.children.filter((c) => c.running).map((c) => c.stop('SIGKILL')));
    this.children.length = 0;
  }
}

/** A port that was free a moment ago (for a hub that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Calls `read` until `ok` holds; throws with the last value after `timeoutMs`. */
export async function pollUntil<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await sleep(intervalMs);
  }
}
