import { z } from 'zod';
import { REPOSITORY_NAME } from '../registry/scope.js';
import { pageQuery, password, userName } from './common.js';

/** A type error that says "is required" when the field is missing. */
const typed = (name: string, what: string) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? `${name} is required` : `${name} must be ${what}`),
});

/** A project is one path component of Docker image names: lower-case letters and digits, inner . _ __ or dashes. */
export const projectName = z
  .string(typed('projectName', 'a string'))
  .max(63, 'projectName must be at most 63 characters')
  .regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/, 'projectName must be lower-case letters and digits, optionally joined by . _ or -');

/** `<project>/<image>`: a Docker repository name of at least two components. */
export const imageName = z
  .string(typed('imageName', 'a string'))
  .max(255, 'imageName must be at most 255 characters')
  .refine((v) => REPOSITORY_NAME.test(v) && v.includes('/'), 'imageName must be <project>/<image> in lower-case letters, digits and . _ - /');

export const tagName = z.string('tag must be a string').regex(/^[\w][\w.-]{0,127}$/, 'tag must be 1-128 letters, digits or _.- and not start with . or -');

const bool = (name: string) =>
  z.enum(['true', 'false'], `${name} must be true or false`).transform((v) => v === 'true');

const list = <T extends z.ZodType>(name: string, item: T, max = 100) =>
  z.array(item, typed(name, 'a list')).min(1, `${name} must name at least one`).max(max, `${name} may name at most ${max}`);

export const projectListQuery = z.object({
  ...pageQuery(),
  orderBy: z.enum(['id', 'projectName'], 'orderBy must be id or projectName').default('id'),
  projectName: z.string().max(63, 'projectName must be at most 63 characters').optional(),
  public: bool('public').optional(),
});

export const createProjectBody = z.object({
  projectName,
  public: z.boolean(typed('public', 'true or false')),
});

export const deleteProjectBody = z.object({
  projectId: list('projectId', z.number('projectId must hold numbers').int('projectId must hold whole numbers').positive('projectId must hold positive ids')),
});

export const imageListQuery = z.object({
  ...pageQuery('desc'),
  orderBy: z.enum(['id', 'imageName', 'createTime', 'updateTime'], 'orderBy must be id, imageName, createTime or updateTime').default('id'),
  projectName: projectName.optional(),
  imageName: z.string().max(255, 'imageName must be at most 255 characters').optional(),
});

export const tagListQuery = z.object({
  ...pageQuery(),
  orderBy: z.enum(['tag', 'createTime'], 'orderBy must be tag or createTime').default('tag'),
  imageName,
});

export const deleteImageBody = z.object({ imageName: list('imageName', imageName) });

export const deleteTagBody = z.object({ imageName, tag: list('tag', tagName) });

export const createAccountBody = z.object({ user: userName, password });

export const accountPasswordBody = z.object({ password });

export const repositoryId = z
  .string(typed('repositoryId', 'a string'))
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'repositoryId must be 1-64 letters, digits or _.- starting with a letter or digit');

export const externalRepoBody = z.object({
  repositoryId,
  address: z
    .string(typed('address', 'a string'))
    .max(255, 'address must be at most 255 characters')
    .regex(/^(https?:\/\/)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?(\/[A-Za-z0-9._/-]*)?$/, 'address must be a registry host[:port], optionally with http(s):// and a path'),
  user: z.string(typed('user', 'a string')).min(1, 'user must not be empty').max(255, 'user must be at most 255 characters').regex(/^[^\s\p{Cc}]+$/u, 'user must not contain spaces or control characters'),
  password: z.string(typed('password', 'a string')).min(1, 'password must not be empty').max(8192, 'password must be at most 8192 characters'),
});

export const deleteExternalRepoBody = z.object({ repositoryId: list('repositoryId', repositoryId) });

export const externalRepoListQuery = z.object({
  ...pageQuery(),
  orderBy: z.enum(['id'], 'orderBy must be id').default('id'),
});

/** GET /v1/registry/token: what Docker clients send (`scope` may repeat; read separately). */
export const registryTokenQuery = z.object({
  service: z.string().max(255).optional(),
  account: z.string().max(255).optional(),
  client_id: z.string().max(255).optional(),
  offline_token: z.string().max(10).optional(),
});
