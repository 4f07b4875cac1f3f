import { z } from 'zod';
import { isStrongPassword, PASSWORD_RULE } from '../services/passwords.js';

/** A whole number given as a query-string or path value. */
export const intString = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

export const password = z.string().refine(isStrongPassword, PASSWORD_RULE);

export const userName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'user must be 1-64 letters, digits or _.@- and start with a letter or digit');

export const text = (name: string, max: number) => z.string().trim().min(1, `${name} must not be empty`).max(max, `${name} must be at most ${max} characters`);

export const optionalText = (name: string, max: number) => z.string().trim().max(max, `${name} must be at most ${max} characters`);

/** page, pageSize (0 = no limit) and order, shared by every list. */
export const pageQuery = (defaultOrder: 'asc' | 'desc' = 'asc', defaultPageSize = 10) => ({
  page: intString('page', 1, 1_000_000).default(1),
  pageSize: intString('pageSize', 0, 10_000).default(defaultPageSize),
  order: z.enum(['asc', 'desc'], 'order must be asc or desc').default(defaultOrder),
});

export const idParam = (name: string) => intString(name, 1, Number.MAX_SAFE_INTEGER);
