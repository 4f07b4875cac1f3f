/**
 * `npm start`: the embedded default. One hub (lowdb file under ./data) and one local agent in
 * cluster `local` named after the host. Both children get SIGTERM/SIGINT when this process does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { signJoinToken } from '../hub/src/agents/credentials.js';
import { planLocalRegistry, startLocalRegistry } from './registry-local.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const dataDir = resolve(process.env.HUB_DATA_DIR ?? join(root, 'data'));
const children: ChildProcess[] = [];

function run(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [join(root, 'dist', script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

async function main(): Promise<void> {
  // With docker-registry installed, a local registry backs Repository Management.
  const registry = await planLocalRegistry(process.env);
  const hub = run('hub/src/main.js', { HUB_DATA_DIR: dataDir, ...(registry ? { HUB_REGISTRY_URL: registry.url } : {}) });
  const url = await new Promise<string>((res, rej) => {
    const lines = createInterface({ input: hub.stdout! });
    lines.on('line', (line) => {
      process.stdout.write(line + '\n');
      const m = /^hub listening on (http:\/\/\S+)$/.exec(line);
      if (m) res(m[1]!);
    });
    hub.once('exit', (code) => rej(new Error(`the hub exited (${code}) before listening`)));
  });
  const port = new URL(url).port;
  if (registry) {
    const reg = startLocalRegistry(root, dataDir, registry, port);
    children.push(reg);
    reg.once('exit', (code) => {
      if (!stopping) process.stderr.write(`start: the registry exited (${code}); repository endpoints answer 503\n`);
    });
  }
  const key = Buffer.from((await readFile(join(dataDir, 'jwt.key'), 'utf8')).trim(), 'base64url');
  const token = await signJoinToken(key, 'local', 3600, Date.now());
  const agent = run('agent/src/main.js', {
    AGENT_HUB_URL: `http://127.0.0.1:${port}`,
    AGENT_TOKEN: token,
    AGENT_DATA_DIR: process.env.AGENT_DATA_DIR ?? join(dataDir, 'agent'),
  });
  agent.stdout!.pipe(process.stdout);
  agent.once('exit', (code) => {
    if (!stopping) process.stderr.write(`start: the local agent exited (${code}); the hub keeps running\n`);
  });
  hub.once('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`start: the hub exited (${code})\n`);
      void stop('hub exit', code ?? 1);
    }
  });
}

let stopping = false;
async function stop(signal: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  // The agent first, so it can say goodbye to a hub that is still there.
  for (const c of [...children].reverse()) {
    if (c.exitCode !== null) continue;
    c.kill('SIGTERM');
    await new Promise((r) => c.once('exit', r));
  }
  process.exit(code);
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
main().catch((e: Error) => {
  process.stderr.write(`start: ${e.message}\n`);
  void stop('error', 1);
});
