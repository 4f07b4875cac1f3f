import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Clock } from '../services/tokens.js';
import { libtrustKeyId } from './keys.js';
import type { ResourceAccess } from './scope.js';

/** `auth.token.service` of the registry's configuration (scripts/registry.sh writes the same). */
export const REGISTRY_SERVICE = 'vsm-registry';
/** `auth.token.issuer` of the registry's configuration. */
export const REGISTRY_ISSUER = 'vsm-hub-registry-token';
/** Lifetime of tokens handed to Docker clients. */
export const CLIENT_TOKEN_TTL_S = 300;

export interface SignedRegistryToken {
  token: string;
  expiresIn: number;
  /** ISO 8601, as the Docker token spec has it. */
  issuedAt: string;
}

/**
 * Signs Docker registry bearer tokens (ES256) with the key the registry trusts. The header names
 * the key by its libtrust id (`kid`), which distribution 2.x looks up among its rootcertbundle keys.
 */
export class RegistryTokenSigner {
  readonly kid: string;

  constructor(
    private readonly key: KeyObject,
    private readonly clock: Clock,
  ) {
    this.kid = libtrustKeyId(key);
  }

  async sign(subject: string, access: ResourceAccess[], ttlS: number): Promise<SignedRegistryToken> {
    const nowMs = this.clock.now();
    const iat = Math.floor(nowMs / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.kid })
      .setIssuer(REGISTRY_ISSUER)
      .setAudience(REGISTRY_SERVICE)
      .setSubject(subject)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ttlS)
      .sign(this.key);
    return { token, expiresIn: ttlS, issuedAt: new Date(iat * 1000).toISOString() };
  }
}
