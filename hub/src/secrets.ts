import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A random key kept in `dir/name` with mode 0600: read when present, generated on first start.
 * A file of the wrong length is refused rather than replaced (that would log everyone out).
 */
export async function loadOrCreateKey(dir: string, name: string, bytes = 32): Promise<Uint8Array> {
  const path = join(dir, name);
  try {
    const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64url');
    if (key.length !== bytes) throw new Error(`${path} does not hold a ${bytes}-byte key; restore it or remove it`);
    await chmod(path, 0o600);
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const key = randomBytes(bytes);
  await writeFile(path, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
