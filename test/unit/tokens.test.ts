import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../hub/src/errors.js';
import { tokenFromHeader, TokenService } from '../../hub/src/services/tokens.js';
import type { Revocation, RevocationRepo } from '../../hub/src/store/types.js';

/** The revocation list in memory: what the store keeps, without the file. */
class MemoryRevocations implements RevocationRepo {
  readonly rows = new Map<string, number>();
  has = (jti: string) => this.rows.has(jti);
  count = () => this.rows.size;
  add = async (r: Revocation) => void this.rows.set(r.jti, r.exp);
  prune = async (nowS: number) => {
    let n = 0;
    for (const [jti, exp] of this.rows) if (exp <= nowS && this.rows.delete(jti)) n++;
    return n;
  };
}

const TTL_S = 3600;

function setup() {
  const clock = { t: Date.UTC(2026, 0, 1), now() { return this.t; } };
  const key = randomBytes(32);
  const revocations = new MemoryRevocations();
  const tokens = new TokenService(key, TTL_S, revocations, clock);
  return { clock, key, revocations, tokens };
}

async function status401(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).status).toBe(401);
  return (e as AppError).message;
}

describe('tokenFromHeader', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['eyx.abc.def', 'eyx.abc.def'],
    ['  eyx.abc.def  ', 'eyx.abc.def'],
    ['Bearer eyx.abc.def', 'eyx.abc.def'],
    ['bearer   eyx.abc.def ', 'eyx.abc.def'],
    ['BEARER eyx', 'eyx'],
  ])('%j -> %j', (header, token) => {
    expect(tokenFromHeader(header)).toBe(token);
  });
});

describe('TokenService', () => {
  it('issues a token that verifies to its user, epoch and a one-hour expiry', async () => {
    const { tokens, clock } = setup();
    const t = await tokens.issue(42, 3);
    const c = await tokens.verify(t);
    expect(c.userId).toBe(42);
    expect(c.epoch).toBe(3);
    expect(c.exp).toBe(clock.t / 1000 + TTL_S);
    expect(c.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect((await tokens.verify(await tokens.issue(42, 3))).jti).not.toBe(c.jti);
  });

  it('accepts a token just before expiry and refuses it after (fake clock)', async () => {
    const { tokens, clock } = setup();
    const t = await tokens.issue(1, 0);
    clock.t += (TTL_S - 1) * 1000;
    await expect(tokens.verify(t)).resolves.toMatchObject({ userId: 1 });
    clock.t += 1000;
    expect(await status401(tokens.verify(t))).toMatch(/expired/);
  });

  it('refuses a revoked token, and pruning forgets the revocation only once the token expired anyway', async () => {
    const { tokens, clock, revocations } = setup();
    const t = await tokens.issue(1, 0);
    const other = await tokens.issue(1, 0);
    await tokens.revoke(await tokens.verify(t));
    expect(await status401(tokens.verify(t))).toMatch(/revoked/);
    await expect(tokens.verify(other)).resolves.toMatchObject({ userId: 1 });
    expect(await tokens.prune()).toBe(0);
    clock.t += TTL_S * 1000;
    expect(await tokens.prune()).toBe(1);
    expect(revocations.count()).toBe(0);
  });

  it('refuses a tampered token: payload, signature, or another key', async () => {
    const { tokens, revocations, clock } = setup();
    const t = await tokens.issue(1, 0);
    const [h, p, s] = t.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...payload, sub: '2' })).toString('base64url');
    expect(await status401(tokens.verify(`${h}.${forged}.${s}`))).toBe('invalid token');
    const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);
    expect(await status401(tokens.verify(`${h}.${p}.${flipped}`))).toBe('invalid token');
    const foreign = new TokenService(randomBytes(32), TTL_S, revocations, clock);
    expect(await status401(tokens.verify(await foreign.issue(1, 0)))).toBe('invalid token');
    expect(await status401(tokens.verify('not-a-jwt'))).toBe('invalid token');
    expect(await status401(tokens.verify(`${h}.${p}.`))).toBe('invalid token');
  });

  it('refuses a correctly signed token with the wrong audience or no subject', async () => {
    const { tokens, key, clock } = setup();
    const iat = clock.t / 1000;
    const base = () => new SignJWT({ ep: 0 }).setProtectedHeader({ alg: 'HS256' }).setIssuer('vsm-hub').setIssuedAt(iat).setExpirationTime(iat + 60).setJti('x');
    const wrongAud = await base().setAudience('elsewhere').setSubject('1').sign(key);
    expect(await status401(tokens.verify(wrongAud))).toBe('invalid token');
    const noSub = await base().setAudience('vsm-api').sign(key);
    expect(await status401(tokens.verify(noSub))).toBe('invalid token');
  });
});
