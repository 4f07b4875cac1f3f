import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child, pollUntil, ROOT } from './processes.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (input on stdin), never throwing on a non-zero exit. */
export function run(cmd: string, args: string[], o: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: o.env ?? process.env, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    p.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    p.once('error', reject);
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (p.stdin) {
      // A command may exit before it reads its input (docker login refusing at once): the write then
      // fails with EPIPE, which says nothing the exit code does not; without this listener it would
      // be an uncaught exception in the test process.
      p.stdin.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') reject(e);
      });
      p.stdin.end(o.input);
    }
  });
}

/** Throws loudly unless the Docker daemon answers and docker-registry is installed (scripts/test-deps.sh provides both). */
export async function assertDockerAndRegistry(): Promise<void> {
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
  if (info.code !== 0) throw new Error(`docker info failed: the registry integration test needs a running dockerd (run scripts/test-deps.sh): ${info.stderr}`);
  const reg = await run('docker-registry', ['--version']).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
  if (reg.code !== 0) throw new Error(`docker-registry is not installed (run scripts/test-deps.sh): ${reg.stderr}`);
}

/** Starts scripts/registry.sh and waits until the registry answers /v2/ (401: it wants a token). */
export async function startRegistry(o: { hubData: string; root: string; port: number; realm: string }): Promise<Child> {
  const proc = spawn('bash', [join(ROOT, 'scripts/registry.sh'), '--hub-data', o.hubData, '--root', o.root, '--addr', `127.0.0.1:${o.port}`, '--realm', o.realm], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = new Child('registry', proc);
  await pollUntil(
    async () => {
      if (!child.running) throw new Error(`registry.sh exited: ${child.lines.join('\n')}`);
      return fetch(`http://127.0.0.1:${o.port}/v2/`).then((r) => r.status, () => 0);
    },
    (s) => s === 401,
    15_000,
    100,
  );
  return child;
}

/**
 * Builds a tiny image with `docker import` from the machine's busybox-static (nothing can be pulled
 * here); `marker` goes into /marker so that each image has its own digest.
 */
export async function importImage(tag: string, marker: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'img-'));
  try {
    await mkdir(join(dir, 'bin'));
    const busybox = (await run('sh', ['-c', 'command -v busybox'])).stdout.trim();
    if (!busybox) throw new Error('busybox is not installed (busybox-static; run scripts/test-deps.sh)');
    await copyFile(busybox, join(dir, 'bin/busybox'));
    await symlink('busybox', join(dir, 'bin/sh'));
    await writeFile(join(dir, 'marker'), marker);
    const r = await run('sh', ['-c', `tar -C '${dir}' -c . | docker import -c 'CMD ["/bin/sh"]' - '${tag}'`]);
    if (r.code !== 0) throw new Error(`docker import ${tag} failed: ${r.stderr}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
