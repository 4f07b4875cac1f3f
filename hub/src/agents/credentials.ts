import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

const ISSUER = 'vsm-hub';
const JOIN_AUDIENCE = 'vsm-agent-join';
const NODE_PREFIX = 'vsmn.';

/** A signed, expiring join token bound to one cluster. */
export async function signJoinToken(key: Uint8Array, clusterName: string, ttlS: number, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ cluster: clusterName })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(JOIN_AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlS)
    .sign(key);
}

/** The cluster a join token admits to, or undefined when the token is bad or expired. */
export async function verifyJoinToken(key: Uint8Array, token: string, nowMs: number): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, key, {
      issuer: ISSUER,
      audience: JOIN_AUDIENCE,
      algorithms: ['HS256'],
      currentDate: new Date(nowMs),
    });
    return typeof payload.cluster === 'string' ? payload.cluster : undefined;
  } catch {
    return undefined;
  }
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** A new node credential `vsmn.<nodeId>.<secret>`; the hub keeps only the secret's hash. */
export function newNodeCredential(nodeId: string): { credential: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { credential: `${NODE_PREFIX}${nodeId}.${secret}`, hash: hashSecret(secret) };
}

export function isNodeCredential(token: string): boolean {
  return token.startsWith(NODE_PREFIX);
}

/** Splits a node credential into its node id and secret. */
export function parseNodeCredential(token: string): { nodeId: string; secret: string } | undefined {
  if (!isNodeCredential(token)) return undefined;
  const rest = token.slice(NODE_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) return undefined;
  return { nodeId: rest.slice(0, dot), secret: rest.slice(dot + 1) };
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
