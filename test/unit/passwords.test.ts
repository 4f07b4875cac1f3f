import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, isStrongPassword, verifyPassword } from '../../hub/src/services/passwords.js';

describe('hashPassword / verifyPassword', () => {
  it('verifies the right password and refuses a wrong one; two hashes of one password differ', async () => {
    const [h1, h2] = await Promise.all([hashPassword('Secret123'), hashPassword('Secret123')]);
    expect(h1).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain('Secret123');
    await expect(verifyPassword('Secret123', h1)).resolves.toBe(true);
    await expect(verifyPassword('Secret123', h2)).resolves.toBe(true);
    await expect(verifyPassword('secret123', h1)).resolves.toBe(false);
    await expect(verifyPassword('Secret1234', h1)).resolves.toBe(false);
    await expect(verifyPassword('', h1)).resolves.toBe(false);
  });

  it('treats NFKC-equivalent spellings as the same password', async () => {
    const h = await hashPassword('Caf\u00e9Latte1');
    await expect(verifyPassword('Cafe\u0301Latte1', h)).resolves.toBe(true);
  });

  it('never matches a malformed hash, and never throws on one', async () => {
    const good = await hashPassword('Secret123');
    const [, N, r, p, salt, key] = good.split('$');
    const bad = [
      '',
      'garbage',
      good.replace(/^scrypt/, 'bcrypt'),
      `scrypt$${N}$${r}$${p}$${salt}`,
      `scrypt$${N}$${r}$${p}$${salt}$${key}$extra`,
      `scrypt$abc$${r}$${p}$${salt}$${key}`,
      `scrypt$0$${r}$${p}$${salt}$${key}`,
      `scrypt$${N}$${r}$${p}$${salt}$${key!.slice(0, 10)}`,
      // Cost parameters scrypt itself refuses (N not a power of two) or that would exhaust memory.
      `scrypt$3$${r}$${p}$${salt}$${key}`,
      `scrypt$${2 ** 40}$${r}$${p}$${salt}$${key}`,
      `scrypt$${N}$${r}$-1$${salt}$${key}`,
    ];
    for (const h of bad) await expect(verifyPassword('Secret123', h), h).resolves.toBe(false);
  });
});

describe('isStrongPassword', () => {
  it.each([
    ['Abcdefg1', true],
    ['Abcdefghijklmnopqr12', true],
    ['Abcdef1', false], // 7 characters
    ['Abcdefghijklmnopqrs12', false], // 21 characters
    ['abcdefg1', false], // no upper-case
    ['ABCDEFG1', false], // no lower-case
    ['Abcdefgh', false], // no digit
    ['xxX@1234', true], // the document's example
    ['', false],
    ['12345678', false],
  ])('%j -> %s', (p, want) => {
    expect(isStrongPassword(p)).toBe(want);
  });
});

describe('generatePassword', () => {
  it('always satisfies the policy and rarely repeats (200 runs)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(isStrongPassword(p), p).toBe(true);
      expect(p).toMatch(/^[A-Za-z2-9]{16}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });
});
