import { z } from 'zod';
import { optionalText, pageQuery, text } from './common.js';

export const createBusinessBody = z.object({
  name: z
    .string()
    .trim()
    .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,63}$/u, 'name must be 1-64 letters, digits, spaces or _.- and start with a letter or digit'),
  introduce: text('introduce', 2000),
  objective: text('objective', 2000),
  scale: text('scale', 200),
});

export const auditBusinessBody = z.object({
  comment: optionalText('comment', 1000),
  status: z.union([z.literal(1), z.literal(2)], 'status must be 1 (approve) or 2 (disapprove)'),
});

export const businessListQuery = z.object({
  ...pageQuery(),
  orderBy: z.enum(['id'], 'orderBy must be id').default('id'),
  name: z.string().max(64, 'name must be at most 64 characters').optional(),
});
