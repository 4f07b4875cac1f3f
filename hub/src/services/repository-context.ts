import { randomBytes, type KeyObject } from 'node:crypto';
import type { Logger } from '../../../shared/src/log.js';
import type { HubConfig } from '../config.js';
import { RegistryClient } from '../registry/client.js';
import { generateSigningKey } from '../registry/keys.js';
import { SecretBox } from '../registry/secret-box.js';
import { RegistryTokenSigner } from '../registry/token-signer.js';
import type { Store } from '../store/types.js';
import { LoginThrottle } from './login-throttle.js';
import { RepositoryService } from './repositories.js';
import { RegistryAccountService } from './repository-accounts.js';
import { ExternalRepoService } from './repository-third.js';
import type { Clock } from './tokens.js';

export interface RepositoryDeps {
  config: HubConfig;
  store: Store;
  log: Logger;
  clock: Clock;
  /** The registry token signing key (registry-token.key); a throwaway one when absent (tests). */
  registryKey?: KeyObject;
  /** The key of external repository passwords (repository-secret.key); a throwaway one when absent (tests). */
  secretKey?: Uint8Array;
}

/** Lifetime of the tokens the hub signs for its own registry calls. */
const HUB_TOKEN_TTL_S = 60;

/** The Repository Management services, wired to one registry client and one token signer. */
export function createRepositoryServices(d: RepositoryDeps) {
  const signer = new RegistryTokenSigner(d.registryKey ?? generateSigningKey(), d.clock);
  const client = d.config.registryUrl
    ? new RegistryClient({
        baseUrl: d.config.registryUrl,
        authorize: async (access) => (await signer.sign('vsm-hub', access, HUB_TOKEN_TTL_S)).token,
      })
    : undefined;
  // Its own throttle: failed docker logins lock registry logins, not the API's. Bounded by maxEntries.
  const throttle = new LoginThrottle(() => d.clock.now());
  return {
    repositories: new RepositoryService(d.store, client, d.log),
    registryAccounts: new RegistryAccountService(d.store, signer, throttle, d.log, client?.host),
    externalRepos: new ExternalRepoService(d.store, new SecretBox(d.secretKey ?? randomBytes(32)), d.log),
  };
}
