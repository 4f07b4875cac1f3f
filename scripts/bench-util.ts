/** Small helpers shared by the bench, the agent simulator and the load generator. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** `--name value` from argv (or undefined); `--name` alone reads as 'true'. */
export function arg(name: string, argv = process.argv): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  return v === undefined || v.startsWith('--') ? 'true' : v;
}

export function numArg(name: string, def: number, argv = process.argv): number {
  const v = arg(name, argv);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, not ${v}`);
  return n;
}

export const flag = (name: string, argv = process.argv) => arg(name, argv) !== undefined;

/** The soft limit on open files of this process (Infinity when unlimited or unknown). */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

/** Argv that runs `node ...args` with the open-file limit raised (as far as the hard limit allows). */
export function withFileLimit(nofile: number, nodeArgs: string[]): [string, string[]] {
  const script = `ulimit -n ${nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  return ['bash', ['-c', script, process.execPath, ...nodeArgs]];
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The p-th percentile (nearest rank) of `xs`; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

