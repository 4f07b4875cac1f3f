import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replaces `path` with `text` so that a crash or power cut leaves either the old file or the new one,
 * never a torn or empty one: write a temp file (mode 0600), fsync it, rename it over `path`, fsync the
 * directory so that the rename itself is on disk. A failed write (disk full, read-only) removes the
 * temp file, giving its space back, and throws; `path` is untouched then.
 */
export async function writeFileDurably(path: string, text: string, tempPath = `${path}.tmp`): Promise<void> {
  try {
    const fh = await open(tempPath, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tempPath, path);
  } catch (e) {
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
