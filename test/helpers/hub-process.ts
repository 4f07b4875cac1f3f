import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { newestMtime, ROOT } from './processes.js';

export { ROOT };
export const HUB_MAIN = join(ROOT, 'dist/hub/src/main.js');

/** Builds dist/ when the hub's entry point is missing or older than its sources (so a test file can run alone). */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(HUB_MAIN).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= Math.max(newestMtime(join(ROOT, 'hub/src'), '.ts'), newestMtime(join(ROOT, 'shared/src'), '.ts'))) return;
  // tsc emits even when another part of the tree has type errors; `npm test` reports those.
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { cwd: ROOT, encoding: 'utf8' });
  if (statSync(HUB_MAIN, { throwIfNoEntry: false }) === undefined) {
    throw new Error(`tsc did not produce ${HUB_MAIN}: ${r.stdout}${r.stderr}`);
  }
}

/** The environment of a hub child: ours without any HUB_* of the caller's, plus `env`. */
function hubEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HUB_')));
  return { ...base, ...env };
}

export interface RunningHub {
  url: string;
  proc: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();

/** Kills hubs a failed test left running (only the ones this helper started). */
export function killLeftovers(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((res) => proc.once('exit', (code) => res(code)));
}

/** Starts `node dist/hub/src/main.js` and waits for its `hub listening on` line. */
export function startHub(env: Record<string, string>, timeoutMs = 20_000): Promise<RunningHub> {
  const proc = spawn(process.execPath, [HUB_MAIN], { cwd: ROOT, env: hubEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const hub: Omit<RunningHub, 'url'> = {
    proc,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      proc.kill('SIGTERM');
      const code = await exited(proc);
      children.delete(proc);
      return code;
    },
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start in ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
    const onData = () => {
      const m = /^hub listening on (http:\/\/\S+)$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      resolvePromise({ ...hub, url: m[1]! });
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}

/** Runs a hub that is expected to refuse to start: its exit code and output. */
export async function runToExit(env: Record<string, string>, timeoutMs = 20_000) {
  const proc = spawn(process.execPath, [HUB_MAIN], { cwd: ROOT, env: hubEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await exited(proc);
  clearTimeout(timer);
  children.delete(proc);
  return { code, stdout, stderr };
}

/** A JSON call over real HTTP. */
export async function http(base: string, method: string, path: string, o: { token?: string; body?: unknown; rawBody?: string } = {}) {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = o.token;
  let body: string | undefined = o.rawBody;
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const json = (await res.json()) as { code: number; message: string; token?: string; data?: any; total?: number };
  return { status: res.status, body: json };
}

/**
 * http() against the hub at `base()` that keeps every answer body in `answers` (to scan for
 * secrets afterwards); `ok` also throws unless the answer is 200 and returns its body.
 */
export function recordingApi(base: () => string, answers: unknown[]) {
  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const r = await http(base(), method, path, { token, body });
    answers.push(r.body);
    return r;
  };
  const ok = async (method: string, path: string, token?: string, body?: unknown) => {
    const r = await api(method, path, token, body);
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.body.message}`);
    return r.body;
  };
  return { api, ok };
}

/**
 * POSTs `bytes` bytes over a raw socket and returns what the server answered. A raw socket,
 * because the server may answer and close before the upload ends, which fetch reports as an error.
 */
export function oversizedPost(base: string, path: string, bytes: number): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const sock = connect(Number(port), hostname);
    let answer = '';
    sock.setEncoding('utf8');
    sock.on('data', (s: string) => {
      answer += s;
      if (/\r\n\r\n[\s\S]*\}/.test(answer)) {
        sock.destroy();
        resolvePromise(answer);
      }
    });
    sock.on('error', (e) => (answer ? resolvePromise(answer) : reject(e)));
    sock.on('close', () => resolvePromise(answer));
    // Like curl with `Expect: 100-continue`: the headers first, the body only if no answer comes
    // within a second. The hub refuses a declared length over the limit from the headers and
    // closes; a body already on its way would then meet a reset, which can drop the 413 from the
    // client's receive buffer before it is read (seen as EPIPE in CI).
    sock.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`);
    const body = setTimeout(() => sock.write(Buffer.alloc(bytes, 'x'), () => {}), 1000);
    sock.on('close', () => clearTimeout(body));
  });
}
