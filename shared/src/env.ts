import type { z } from 'zod';

/**
 * Validates the variables a schema names, read from `env` (an empty value counts as unset). On a
 * bad value: one line naming the variable and its value, or "(hidden)" for the `secret` ones.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv,
  secret: readonly string[] = [],
): { ok: true; data: z.output<S> } | { ok: false; message: string } {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const r = schema.safeParse(picked);
  if (r.success) return { ok: true, data: r.data };
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0]);
  const shown = secret.includes(key) ? '(hidden)' : JSON.stringify(picked[key] ?? '');
  return { ok: false, message: `invalid ${key}=${shown}: ${issue.message}` };
}
