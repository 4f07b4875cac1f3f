import { z } from 'zod';
import { password, pageQuery, text, userName } from './common.js';

export const loginBody = z.object({
  user: z.string().min(1, 'user must not be empty').max(64, 'user must be at most 64 characters'),
  password: z.string().min(1, 'password must not be empty').max(128, 'password must be at most 128 characters'),
});

export const registerBody = z.object({
  user: userName,
  password,
  phone: z.string().regex(/^\+?[0-9][0-9 -]{3,19}$/, 'phone must be 4-20 digits (spaces, dashes and a leading + allowed)'),
  realName: text('realName', 64),
  isAdmin: z.boolean('isAdmin must be true or false'),
});

export const subUserBody = registerBody.extend({
  businessId: z.number().int().positive('businessId must be a positive integer').optional(),
});

export const changePasswordBody = z.object({
  oldPassword: z.string().min(1, 'oldPassword must not be empty').max(128),
  password,
});

export const resetPasswordBody = z.object({ password });

export const auditUserBody = z.object({
  status: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)], 'status must be 0, 1, 2 or 3'),
});

export const userListQuery = z.object({
  ...pageQuery(),
  orderBy: z
    .enum(['id', 'user_name', 'user'], 'orderBy must be id or user_name')
    .default('id')
    .transform((v) => (v === 'id' ? ('id' as const) : ('user' as const))),
});
