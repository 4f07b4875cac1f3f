import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file in HUB_DATA_DIR that holds the registry token signing key (PKCS#8 PEM, mode 0600). */
export const SIGNING_KEY_FILE = 'registry-token.key';
/** The self-signed certificate of that key, written by scripts/registry.sh; the registry trusts it (rootcertbundle). */
export const SIGNING_CERT_FILE = 'registry-token.crt';

/** A fresh ECDSA P-256 key (ES256), the kind Docker's token auth accepts. */
export function generateSigningKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

/**
 * The registry token signing key in `dir`: read when present, generated on first start.
 * A file that is not an EC P-256 private key is refused rather than replaced (the registry trusts it).
 */
export async function loadOrCreateSigningKey(dir: string): Promise<KeyObject> {
  const path = join(dir, SIGNING_KEY_FILE);
  try {
    const key = createPrivateKey(await readFile(path, 'utf8'));
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`${path} is not an EC P-256 private key; restore it or remove it`);
    }
    await chmod(path, 0o600);
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const key = generateSigningKey();
  try {
    await writeFile(path, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // scripts/registry.sh may have created it in the meantime: use that one.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSigningKey(dir);
    throw e;
  }
  return key;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The libtrust key id of a public key (distribution 2.x `kid`): SHA-256 of the DER SubjectPublicKeyInfo,
 * first 240 bits, base32, in twelve groups of four joined by ':'. The registry indexes the keys of its
 * rootcertbundle by this id.
 */
export function libtrustKeyId(key: KeyObject): string {
  const spki = (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(spki).digest().subarray(0, 30);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g)!.join(':');
}
