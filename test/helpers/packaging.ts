import { spawn } from 'node:child_process';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ROOT } from './processes.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program from the repository root and collects its output (never throws). */
export function runTool(cmd: string, args: string[], o: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((res) => {
    const proc = spawn(cmd, args, { cwd: o.cwd ?? ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => proc.kill('SIGKILL'), o.timeoutMs ?? 600_000);
    proc.once('error', (e) => {
      clearTimeout(timer);
      res({ code: -1, stdout, stderr: stderr + e.message });
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** Like runTool, but a non-zero exit throws with the command and the end of its output. */
export async function mustRun(cmd: string, args: string[], o: Parameters<typeof runTool>[2] = {}): Promise<string> {
  const r = await runTool(cmd, args, o);
  if (r.code !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${tail}`);
  }
  return r.stdout.trim();
}

/** `docker ...`, stdout trimmed; throws on failure. */
export const dockerOut = (...args: string[]) => mustRun('docker', args, { timeoutMs: 120_000 });

/** An image's size in MB (10^6 bytes, as `docker images` counts). */
export async function imageMb(image: string): Promise<number> {
  return Math.round(Number(await dockerOut('image', 'inspect', '-f', '{{.Size}}', image)) / 1e5) / 10;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Every entry under dir, by path relative to it: type, mode, size, mtime and inode (a change shows up). */
export async function snapshotTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = await lstat(p);
      const what = e.isSymbolicLink() ? `-> ${await readlink(p)}` : e.isDirectory() ? 'dir' : `${st.size} ${st.mtimeMs} ${st.ino}`;
      out.set(relative(dir, p), `${(st.mode & 0o7777).toString(8)} ${what}`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out;
}

/** Paths of files and links (not directories) under dir. */
export async function filesUnder(dir: string): Promise<string[]> {
  const snap = await snapshotTree(dir);
  return [...snap].filter(([, v]) => !v.endsWith(' dir')).map(([k]) => k).sort();
}
