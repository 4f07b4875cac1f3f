import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { unauthorized } from '../errors.js';
import type { RevocationRepo } from '../store/types.js';

const ISSUER = 'vsm-hub';
const AUDIENCE = 'vsm-api';

export interface TokenClaims {
  userId: number;
  jti: string;
  exp: number;
  /** The user's session epoch when the token was issued. */
  epoch: number;
}

export interface Clock {
  now(): number;
}

/** Signs, verifies and revokes user tokens (HS256 JWTs with a key kept in HUB_DATA_DIR). */
export class TokenService {
  constructor(
    private readonly key: Uint8Array,
    private readonly ttlS: number,
    private readonly revocations: RevocationRepo,
    private readonly clock: Clock,
  ) {}

  async issue(userId: number, epoch: number): Promise<string> {
    const iat = Math.floor(this.clock.now() / 1000);
    return new SignJWT({ ep: epoch })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(String(userId))
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlS)
      .sign(this.key);
  }

  /** The claims of a valid, unexpired, unrevoked token; 401 otherwise. */
  async verify(token: string): Promise<TokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(this.clock.now()),
      }));
    } catch (e) {
      if (e instanceof errors.JWTExpired) throw unauthorized('token expired; log in again');
      throw unauthorized('invalid token');
    }
    const userId = Number(payload.sub);
    if (!Number.isSafeInteger(userId) || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
      throw unauthorized('invalid token');
    }
    if (this.revocations.has(payload.jti)) throw unauthorized('token revoked; log in again');
    return { userId, jti: payload.jti, exp: payload.exp, epoch: typeof payload.ep === 'number' ? payload.ep : -1 };
  }

  revoke(claims: TokenClaims): Promise<void> {
    return this.revocations.add({ jti: claims.jti, exp: claims.exp });
  }

  /** Forgets revocations of tokens that have expired anyway. */
  prune(): Promise<number> {
    return this.revocations.prune(Math.floor(this.clock.now() / 1000));
  }
}

/** Accepts `Authorization: <token>` (the document's form) and `Authorization: Bearer <token>`. */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const t = header.trim();
  const m = /^Bearer\s+(.+)$/i.exec(t);
  return (m ? m[1]! : t).trim() || undefined;
}
