/** `npm start`'s local registry: Debian's docker-registry on loopback, the hub as its token service (scripts/registry.sh). */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export interface LocalRegistryPlan {
  port: number;
  /** HUB_REGISTRY_URL for the hub. */
  url: string;
}

async function onPath(cmd: string, path = process.env.PATH ?? ''): Promise<boolean> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** 5000 when it is free on 127.0.0.1, else any free port. */
function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
  return tryPort(preferred).catch(() => tryPort(0));
}

/**
 * A registry to start next to the hub, or undefined when HUB_REGISTRY_URL is already set (the
 * operator runs their own) or docker-registry and openssl are not installed.
 */
export async function planLocalRegistry(env: NodeJS.ProcessEnv): Promise<LocalRegistryPlan | undefined> {
  if (env.HUB_REGISTRY_URL) return undefined;
  if (!(await onPath('docker-registry')) || !(await onPath('openssl'))) return undefined;
  const port = await freePort(5000);
  return { port, url: `http://127.0.0.1:${port}` };
}

/** Starts scripts/registry.sh once the hub listens (the hub wrote its signing key by then). */
export function startLocalRegistry(root: string, dataDir: string, plan: LocalRegistryPlan, hubPort: string): ChildProcess {
  const child = spawn(
    'bash',
    [join(root, 'scripts', 'registry.sh'), '--hub-data', dataDir, '--addr', `127.0.0.1:${plan.port}`, '--realm', `http://127.0.0.1:${hubPort}/v1/registry/token`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  process.stdout.write(`registry on ${plan.url} (docker login 127.0.0.1:${plan.port} with an account from POST /v1/repository/user)\n`);
  return child;
}
