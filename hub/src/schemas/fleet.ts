import { z } from 'zod';
import { NODE_FIELDS, type NodeField } from '../services/nodes.js';
import { intString } from './common.js';

/** Cluster and node names: what agents may call themselves. */
export const fleetName = (what: string) =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, `${what} must be 1-63 letters, digits or _.- starting with a letter or digit`);

/** Labels: ^[A-Za-z0-9.-]{1,63}$ (API-NOTES). */
export const label = (what: string) => z.string().regex(/^[A-Za-z0-9.-]{1,63}$/, `${what} must be 1-63 letters, digits, dots or dashes`);

const names = (what: string) =>
  z.array(fleetName(what), `${what} must be a list of names`).min(1, `${what} must name at least one`).max(1000, `${what} may name at most 1000`);

export const clusterListQuery = z.object({
  clusterLabel: z.string().max(63).optional(),
  page: intString('page', 1, 1_000_000).default(1),
  pageSize: intString('pageSize', 0, 10_000).default(0),
});

export const clusterLabelBody = z.object({
  clusterLabel: label('clusterLabel'),
  clusterName: names('clusterName'),
});

export const clusterLabelsQuery = z.object({
  page: intString('page', 1, 1_000_000).default(1),
  pageSize: intString('pageSize', 0, 10_000).default(10),
});

export const joinTokenBody = z.object({
  clusterName: fleetName('clusterName'),
  ttlSeconds: z
    .number('ttlSeconds must be a number')
    .int('ttlSeconds must be a whole number')
    .min(60, 'ttlSeconds must be at least 60')
    .max(365 * 24 * 3600, 'ttlSeconds must be at most one year')
    .default(24 * 3600),
});

export const nodeListQuery = z.object({
  field: z
    .string()
    .max(500)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const fields = v.split(',').map((f) => f.trim()).filter(Boolean);
      const bad = fields.find((f) => !(NODE_FIELDS as readonly string[]).includes(f));
      if (bad) {
        ctx.addIssue({ code: 'custom', message: `field ${bad} is unknown; known fields: ${NODE_FIELDS.join(', ')}` });
        return z.NEVER;
      }
      return fields as NodeField[];
    }),
  nodeLabel: z.string().max(63).optional(),
  clusterName: z.string().max(63).optional(),
  nodeName: z.string().max(63).optional(),
  page: intString('page', 1, 1_000_000).default(1),
  pageSize: intString('pageSize', 0, 10_000).default(10),
});

export const nodeLabelBody = z.object({
  nodeLabel: label('nodeLabel'),
  clusterName: fleetName('clusterName'),
  nodeName: names('nodeName'),
});

export const nodeLabelDeleteBody = nodeLabelBody.extend({
  deleteDeploy: z.boolean('deleteDeploy must be true or false').default(false),
});

export const nodeLabelsQuery = z.object({ clusterName: z.string().max(63).optional() });

export const nodeDeleteQuery = z.object({ clusterName: fleetName('clusterName') });
