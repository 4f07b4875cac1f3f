import type { Context } from 'hono';

export interface EnvelopeExtras {
  data?: unknown;
  total?: number;
  meta?: Record<string, unknown>;
  token?: string;
}

/** 200 in the document's envelope: {code, message, data?, total?, meta?}. */
export function ok(c: Context, extras: EnvelopeExtras = {}) {
  return c.json({ code: 200, message: 'success', ...extras }, 200);
}

/** A list page in the envelope. */
export function page<T>(c: Context, r: { items: T[]; total: number }, meta?: Record<string, unknown>) {
  return ok(c, meta ? { data: r.items, total: r.total, meta } : { data: r.items, total: r.total });
}

/** The caller's address as the socket sees it (no proxy headers are trusted). */
export function clientIp(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}
