import type { ListResult, PageQuery } from './types.js';

/** Orders (already sorted ascending) items by `order` and cuts one page; pageSize 0 = all. */
export function pageOf<T>(ascending: readonly T[], q: PageQuery): ListResult<T> {
  const total = ascending.length;
  const ordered = q.order === 'desc' ? [...ascending].reverse() : ascending;
  if (q.pageSize === 0) return { items: ordered.slice(), total };
  const start = (q.page - 1) * q.pageSize;
  return { items: ordered.slice(start, start + q.pageSize), total };
}

/** Stable ascending sort by a string key, ties by id. */
export function byKey<T extends { id: number }>(items: readonly T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : a.id - b.id;
  });
}
