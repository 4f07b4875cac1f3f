import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKey, libtrustKeyId, loadOrCreateSigningKey, SIGNING_KEY_FILE } from '../../hub/src/registry/keys.js';
import { SecretBox } from '../../hub/src/registry/secret-box.js';
import { CLIENT_TOKEN_TTL_S, REGISTRY_ISSUER, REGISTRY_SERVICE, RegistryTokenSigner } from '../../hub/src/registry/token-signer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registry-keys-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('loadOrCreateSigningKey', () => {
  it('creates an EC P-256 key with mode 0600 and reads the same one back', async () => {
    const a = await loadOrCreateSigningKey(dir);
    expect(a.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect((await stat(join(dir, SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
    const b = await loadOrCreateSigningKey(dir);
    expect(libtrustKeyId(b)).toBe(libtrustKeyId(a));
  });

  it('refuses a file that is not an EC P-256 key instead of replacing it', async () => {
    await writeFile(join(dir, SIGNING_KEY_FILE), 'garbage');
    await expect(loadOrCreateSigningKey(dir)).rejects.toThrow();
    expect(await readFile(join(dir, SIGNING_KEY_FILE), 'utf8')).toBe('garbage');
  });
});

describe('libtrustKeyId', () => {
  it('is twelve base32 groups of four, stable per key and different between keys', () => {
    const k = generateSigningKey();
    expect(libtrustKeyId(k)).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(libtrustKeyId(createPublicKey(k))).toBe(libtrustKeyId(k));
    expect(libtrustKeyId(generateSigningKey())).not.toBe(libtrustKeyId(k));
  });
});

describe('RegistryTokenSigner', () => {
  it('signs ES256 tokens the registry accepts: kid, iss, aud, nbf/exp, access', async () => {
    const key = generateSigningKey();
    const now = Date.UTC(2026, 5, 1);
    const signer = new RegistryTokenSigner(key, { now: () => now });
    const access = [{ type: 'repository', name: 'p/i', actions: ['pull'] }];
    const t = await signer.sign('alice', access, CLIENT_TOKEN_TTL_S);
    expect(decodeProtectedHeader(t.token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: libtrustKeyId(key) });
    const { payload } = await jwtVerify(t.token, createPublicKey(key), { currentDate: new Date(now), issuer: REGISTRY_ISSUER, audience: REGISTRY_SERVICE });
    expect(payload).toMatchObject({ sub: 'alice', access, aud: REGISTRY_SERVICE });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.nbf).toBe(payload.iat);
    expect(t).toMatchObject({ expiresIn: 300, issuedAt: new Date(now).toISOString() });
  });
});

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, with a fresh IV each time', () => {
    const a = box.seal('s3cret!', '1/repo');
    const b = box.seal('s3cret!', '1/repo');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(box.open(a, '1/repo')).toBe('s3cret!');
    expect(box.open(b, '1/repo')).toBe('s3cret!');
  });

  it('refuses a value altered, sealed for another record or with another key', () => {
    const sealed = box.seal('s3cret!', '1/repo');
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0]! ^= 1;
    expect(() => box.open([...parts.slice(0, 3), ct.toString('base64url')].join('.'), '1/repo')).toThrow();
    expect(() => box.open(sealed, '2/repo')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, '1/repo')).toThrow();
    expect(() => box.open('v1.x.y', '1/repo')).toThrow(/not a sealed value/);
  });

  it('needs a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow();
  });
});
