import { z } from 'zod';
import { intString, pageQuery } from './common.js';
import { fleetName, label } from './fleet.js';

const appName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'appName must be 1-41 lower-case letters, digits or dashes, starting with a letter or digit');
const version = z.string().regex(/^\d{1,4}\.\d{1,4}$/, 'version must look like x.x, for example 1.2');
const count = (name: string, max: number) => z.number(`${name} must be a number`).int(`${name} must be a whole number`).min(0, `${name} must be at least 0`).max(max, `${name} must be at most ${max}`);

const port = z.union(
  [
    z.number().int().min(1).max(65535).transform((containerPort) => ({ containerPort, protocol: 'tcp' as const })),
    z.object({
      containerPort: z.number().int().min(1).max(65535),
      hostPort: z.number().int().min(1).max(65535).optional(),
      protocol: z.enum(['tcp', 'udp']).default('tcp'),
    }),
  ],
  'each port must be a port number or {containerPort, hostPort?, protocol?}',
);

const volume = z.union(
  [
    z.string().transform((v, ctx) => {
      const parts = v.split(':');
      const [source, target, mode] = parts;
      if (parts.length > 3 || !source || !target || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
        ctx.addIssue({ code: 'custom', message: 'a volume string must be source:target[:ro]' });
        return z.NEVER;
      }
      return { source, target, readOnly: mode === 'ro' };
    }),
    z.object({ source: z.string(), target: z.string(), readOnly: z.boolean().default(false) }),
  ],
  'each volume must be "source:target[:ro]" or {source, target, readOnly?}',
).pipe(
  z.object({
    source: z
      .string()
      .regex(/^(\/[^\0]{0,510}|[A-Za-z0-9][A-Za-z0-9_.-]{0,62})$/, 'volume source must be a volume name or an absolute host path')
      .refine((s) => !s.split('/').includes('..'), 'volume source must not contain ..'),
    target: z.string().regex(/^\/[^\0]{0,510}$/, 'volume target must be an absolute path').refine((t) => !t.split('/').includes('..'), 'volume target must not contain ..'),
    readOnly: z.boolean(),
  }),
);

const envEntry = z.union(
  [
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=[\s\S]{0,8000}$/, 'an env entry must be NAME=value'),
    z.object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env name must be a variable name'), value: z.string().max(8000) }).transform((e) => `${e.name}=${e.value}`),
  ],
  'each env entry must be "NAME=value" or {name, value}',
);

/** POST /v1/app: the document's fields plus the completion in API-NOTES. */
export const createAppBody = z
  .object({
    appName,
    deployType: z.enum(['deployment', 'daemonset'], 'deployType must be deployment or daemonset'),
    image: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/, 'image must be an image reference such as nginx:1.25 or host:5000/project/app:tag')
      .refine((i) => !i.split('/').some((p) => p === '..' || p === '.'), 'image must not contain . or .. path components'),
    version,
    repositoryId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'repositoryId must be 1-64 letters, digits or _.-').optional(),
    port: z.array(port, 'port must be a list').max(64),
    command: z.union([z.string().max(4096).transform((c) => (c.trim() ? c.trim().split(/\s+/) : [])), z.array(z.string().max(4096)).max(256)], 'command must be a string or a list of strings').default([]),
    volume: z.array(volume, 'volume must be a list').max(64).default([]),
    env: z.array(envEntry, 'env must be a list').max(512).default([]),
    replicas: count('replicas', 1000).default(1),
    minReplicas: count('minReplicas', 1000).default(0),
    maxReplicas: count('maxReplicas', 1000).default(0),
    minCPU: count('minCPU', 100_000).default(0),
    maxCPU: count('maxCPU', 100_000).default(0),
    GPU: count('GPU', 64).default(0),
    isHPA: z.boolean('isHPA must be true or false').default(false),
    targetCPUUtilization: count('targetCPUUtilization', 100).default(0),
    targetMemUtilization: count('targetMemUtilization', 100).default(0),
    minMemory: count('minMemory', 10_000_000).default(0),
    maxMemory: count('maxMemory', 10_000_000).default(0),
    maxUnavailable: count('maxUnavailable', 1000).default(0),
    maxSurge: count('maxSurge', 1000).default(1),
    minReadySeconds: count('minReadySeconds', 3600).default(0),
  })
  .refine((a) => a.maxMemory === 0 || a.minMemory <= a.maxMemory, { message: 'minMemory must not exceed maxMemory', path: ['minMemory'] })
  .refine((a) => a.maxCPU === 0 || a.minCPU <= a.maxCPU, { message: 'minCPU must not exceed maxCPU', path: ['minCPU'] })
  .refine((a) => a.maxMemory === 0 || a.maxMemory >= 6, { message: 'maxMemory must be at least 6 (MB), the least Docker accepts', path: ['maxMemory'] });

export const appListQuery = z.object({
  ...pageQuery(),
  orderBy: z.enum(['id', 'appName'], 'orderBy must be id or appName').default('id'),
  appName: z.string().max(64).optional(),
});

export const appNameParam = appName;

/** GET /v1/app/[appName] query: the system admin names the business. */
export const appGetQuery = z.object({ businessId: z.string().regex(/^\d{1,15}$/, 'businessId must be a whole number').transform(Number).optional() });

export const deployBody = z.object({
  appName,
  version,
  clusterName: z.array(fleetName('clusterName'), 'clusterName must be a list of cluster names').min(1, 'clusterName must name at least one cluster').max(1000),
  nodeLabel: label('nodeLabel').optional(),
  comment: z.string().max(1000).default(''),
});

export const deployAuditBody = z.object({
  status: z.union([z.literal(1), z.literal(2)], 'status must be 1 (approve) or 2 (reject)'),
  auditComment: z.string().max(1000).default(''),
});

export const deployListQuery = z.object({
  ...pageQuery(),
  appName: z.string().max(64).optional(),
});

export const logQuery = z.object({
  nodeName: fleetName('nodeName').optional(),
  tail: intString('tail', 1, 10_000).default(100),
});

export const alertListQuery = z.object({
  ...pageQuery('desc'),
  clusterName: z.string().max(63).optional(),
});
