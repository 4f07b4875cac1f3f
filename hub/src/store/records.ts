/** What the lowdb store lends its repositories: its document (or the part they own), its batched persist() and its clock. */
export interface StoreCore<D> {
  data(): D;
  persist(): Promise<void>;
  nowS(): number;
}

/** The fields the store sets on every record it creates. */
export interface Stamped {
  id: number;
  createTime: number;
  updateTime: number;
}

/**
 * Adds a new record to `rows`: the next id of its kind (`nextId[kind]`, then counted up),
 * createTime and updateTime `nowS`. Returns the stored record (callers hand out copies).
 */
export function addRecord<K extends string, R extends Stamped>(nextId: Record<K, number>, kind: K, rows: R[], fields: Omit<R, keyof Stamped>, nowS: number): R {
  const rec = { ...fields, id: nextId[kind]++, createTime: nowS, updateTime: nowS } as R;
  rows.push(rec);
  return rec;
}
