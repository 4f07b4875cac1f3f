import type { Context } from 'hono';
import type { z } from 'zod';
import { invalid } from '../errors.js';

/** One readable sentence from a zod error: the first problem, naming its field. */
export function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid input';
  const path = issue.path.join('.');
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return `${path || 'body'} is required`;
  }
  if (issue.code === 'unrecognized_keys') return issue.message;
  return path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(describeZodError(r.error));
  return r.data;
}

/** The JSON body validated by `schema`; malformed JSON or a wrong shape is a 422. */
export async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const raw = await c.req.text();
  let value: unknown;
  let protoKey = false;
  try {
    // JSON.parse makes "__proto__" an own key; refused outright so that no code path ever merges one.
    value = raw.trim() === '' ? undefined : JSON.parse(raw, (k, v: unknown) => ((protoKey ||= k === '__proto__'), v));
  } catch {
    throw invalid('body must be valid JSON');
  }
  if (protoKey) throw invalid('body must not contain a "__proto__" key');
  if (value === undefined) throw invalid('a JSON body is required');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('body must be a JSON object');
  return parseWith(schema, value);
}

/** The query string validated by `schema` (repeated keys: the first value). */
export function query<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseWith(schema, c.req.query());
}

/** One path parameter validated by `schema`. */
export function param<S extends z.ZodType>(c: Context, name: string, schema: S): z.output<S> {
  return parseWith(schema, c.req.param(name));
}
