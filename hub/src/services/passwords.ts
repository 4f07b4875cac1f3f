import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost: 2^15 x 8 x 1 (~32 MiB, tens of ms), OWASP's recommended minimum. */
const PARAMS = { N: 1 << 15, r: 8, p: 1 };
const KEYLEN = 32;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 128 * o.N * o.r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEYLEN, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Salted scrypt hash in the self-describing form `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of a password against a stored hash; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const want = Buffer.from(parts[5]!, 'base64url');
  const within = (v: number, max: number) => Number.isSafeInteger(v) && v >= 1 && v <= max;
  // Costs beyond these are not ours and could exhaust memory; scrypt refuses others (N not a power of 2).
  if (!within(N, 1 << 20) || !within(r, 32) || !within(p, 16) || want.length !== KEYLEN) return false;
  let got: Buffer;
  try {
    got = await derive(password, salt, { N, r, p });
  } catch {
    return false;
  }
  return timingSafeEqual(got, want);
}

/** A hash of a random password, verified against for unknown users so timing does not reveal them. */
export const DUMMY_HASH = hashPassword(randomBytes(12).toString('base64url'));

export const PASSWORD_RULE = 'password must be 8-20 characters with an upper-case letter, a lower-case letter and a digit';

export function isStrongPassword(p: string): boolean {
  return p.length >= 8 && p.length <= 20 && /[A-Z]/.test(p) && /[a-z]/.test(p) && /\d/.test(p);
}

/** A random password that satisfies the policy (for the bootstrap admin). */
export function generatePassword(): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789'];
  const all = sets.join('');
  const chars = sets.map((s) => s[randomInt(s.length)]!);
  while (chars.length < 16) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
