import { randomBytes, type KeyObject } from 'node:crypto';
import { createLogger } from '../../shared/src/log.js';
import { generateSigningKey } from '../../hub/src/registry/keys.js';
import { makeTestHub, type TestHub } from './hub.js';

export interface RepositoryHub extends TestHub {
  registryKey: KeyObject;
  secretKey: Uint8Array;
  /** Every log line the hub wrote (debug and up). */
  logs: string[];
}

/**
 * A hub like makeTestHub's (temp lowdb file, admin bootstrapped) with HUB_REGISTRY_URL, known keys and
 * its log lines captured. The clock is a FakeClock that starts at the real time (tokens go to registries).
 */
export async function makeRepositoryHub(o: { registryUrl?: string; clientIp?: string } = {}): Promise<RepositoryHub> {
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', name: 'hub', write: (l) => logs.push(l) });
  const registryKey = generateSigningKey();
  const secretKey = randomBytes(32);
  const hub = await makeTestHub({
    env: o.registryUrl ? { HUB_REGISTRY_URL: o.registryUrl } : {},
    log,
    clockStart: Date.now(),
    registryKey,
    secretKey,
    clientIp: o.clientIp ?? '127.0.0.9',
    only503: true,
  });
  return { ...hub, registryKey, secretKey, logs };
}

/** `Authorization: Basic` for a registry account. */
export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
