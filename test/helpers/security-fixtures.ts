import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LowdbStore } from '../../hub/src/store/lowdb-store.js';

/**
 * The store's whole in-memory document as JSON: compared before and after a refused request to
 * show that it changed nothing (also what was never written to the file).
 */
export function storeSnapshot(store: LowdbStore): string {
  return JSON.stringify((store as unknown as { db: { data: unknown } }).db.data);
}

/** Every regular file below `root` (absolute paths): where a secret could have been written. */
export async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
