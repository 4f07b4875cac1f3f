import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  hashSecret,
  isNodeCredential,
  newNodeCredential,
  parseNodeCredential,
  secretMatches,
  signJoinToken,
  verifyJoinToken,
} from '../../hub/src/agents/credentials.js';

const key = randomBytes(32);
const T0 = Date.UTC(2026, 0, 1);

describe('join tokens', () => {
  it('admit to the cluster they name until they expire', async () => {
    const token = await signJoinToken(key, 'GuangZhou', 3600, T0);
    expect(await verifyJoinToken(key, token, T0)).toBe('GuangZhou');
    expect(await verifyJoinToken(key, token, T0 + 3599_000)).toBe('GuangZhou');
    expect(await verifyJoinToken(key, token, T0 + 3600_000)).toBeUndefined();
    expect(await verifyJoinToken(key, token, T0 + 86_400_000)).toBeUndefined();
  });

  it('are refused under another key', async () => {
    const token = await signJoinToken(key, 'c1', 3600, T0);
    expect(await verifyJoinToken(randomBytes(32), token, T0)).toBeUndefined();
  });

  it('are refused when tampered with', async () => {
    const token = await signJoinToken(key, 'c1', 3600, T0);
    const [h, , s] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ cluster: 'c2', aud: 'vsm-agent-join', iss: 'vsm-hub', exp: T0 / 1000 + 60 })).toString('base64url');
    expect(await verifyJoinToken(key, `${h}.${payload}.${s}`, T0)).toBeUndefined();
  });

  it('are distinct from user tokens signed with the same key', async () => {
    const userToken = await new SignJWT({ cluster: 'c1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('vsm-hub')
      .setAudience('vsm-api')
      .setExpirationTime(T0 / 1000 + 3600)
      .sign(key);
    expect(await verifyJoinToken(key, userToken, T0)).toBeUndefined();
  });

  it('are refused without a cluster claim, and when not a JWT at all', async () => {
    const noCluster = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('vsm-hub')
      .setAudience('vsm-agent-join')
      .setExpirationTime(T0 / 1000 + 3600)
      .sign(key);
    expect(await verifyJoinToken(key, noCluster, T0)).toBeUndefined();
    for (const junk of ['', 'abc', 'a.b.c', 'vsmn.id.secret']) expect(await verifyJoinToken(key, junk, T0)).toBeUndefined();
  });

  it('differ on every issue', async () => {
    expect(await signJoinToken(key, 'c1', 60, T0)).not.toBe(await signJoinToken(key, 'c1', 60, T0));
  });
});

describe('node credentials', () => {
  it('carry the node id and a secret the hub keeps only as a hash', () => {
    const { credential, hash } = newNodeCredential('9dc63908-8459-41f3-abca-3b258c61ae10');
    expect(isNodeCredential(credential)).toBe(true);
    const parsed = parseNodeCredential(credential);
    expect(parsed?.nodeId).toBe('9dc63908-8459-41f3-abca-3b258c61ae10');
    expect(parsed!.secret.length).toBeGreaterThanOrEqual(43);
    expect(hash).toBe(hashSecret(parsed!.secret));
    expect(hash).not.toContain(parsed!.secret);
    expect(credential.length).toBeLessThanOrEqual(256);
  });

  it('are unique', () => {
    expect(newNodeCredential('n').credential).not.toBe(newNodeCredential('n').credential);
  });

  it.each([
    ['not a node credential', 'eyJhbGciOiJIUzI1NiJ9.e30.sig'],
    ['the prefix alone', 'vsmn.'],
    ['no secret separator', 'vsmn.nodeid'],
    ['an empty node id', 'vsmn..secret'],
    ['an empty secret', 'vsmn.nodeid.'],
    ['a different prefix case', 'VSMN.nodeid.secret'],
    ['empty', ''],
  ])('parseNodeCredential refuses %s', (_, token) => {
    expect(parseNodeCredential(token)).toBeUndefined();
  });

  it('parseNodeCredential splits at the first dot after the id', () => {
    expect(parseNodeCredential('vsmn.id-1.se.cret')).toEqual({ nodeId: 'id-1', secret: 'se.cret' });
  });

  it('secretMatches only the right secret, and never a malformed stored hash', () => {
    const { credential, hash } = newNodeCredential('n1');
    const { secret } = parseNodeCredential(credential)!;
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(secret + 'x', hash)).toBe(false);
    expect(secretMatches('', hash)).toBe(false);
    expect(secretMatches(secret, '')).toBe(false);
    expect(secretMatches(secret, 'not hex at all')).toBe(false);
    expect(secretMatches(secret, hash.slice(0, 62))).toBe(false);
  });
});
