import type { LowdbStore } from '../../hub/src/store/lowdb-store.js';

/**
 * The store's whole in-memory document as JSON: compared before and after a refused request to
 * show that it changed nothing (also what was never written to the file).
 */
export function storeSnapshot(store: LowdbStore): string {
  return JSON.stringify((store as unknown as { db: { data: unknown } }).db.data);
}
