import { z } from 'zod';
import { VERSION } from '../../../shared/src/version.js';
import type { RouteDoc } from '../routes/openapi-table.js';
import { PERMISSIONS } from './permissions.js';

type Json = Record<string, unknown>;

const ROLE_NAMES = ['0 pending', '1 approved, no business', '2 business user', '3 business admin', '4 system admin'];

const STATUS_TEXT: Record<number, string> = {
  401: 'No, malformed, expired or revoked token',
  403: "The caller's role may not do this",
  404: 'No such object (or one the caller may not see)',
  409: 'Conflicts with an existing name or state',
  413: 'Body over 1 MiB',
  422: 'Malformed JSON, a missing or mistyped field, a bad query value',
  429: 'Too many failed logins; see Retry-After',
  503: 'A backing service (registry, node, data directory) is unavailable',
};

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), from the request's side of transforms. */
export function jsonSchema(s: z.ZodType): Json {
  const j = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete j.$schema;
  return j;
}

const envelope = z.object({
  code: z.number().int().describe('equals the HTTP status'),
  message: z.string(),
  data: z.unknown().optional(),
  total: z.number().int().optional().describe('lists: matches before paging'),
  meta: z.record(z.string(), z.unknown()).optional(),
  token: z.string().optional().describe('login and refresh'),
});

const errorEnvelope = z.object({ code: z.number().int(), message: z.string().describe('what was wrong, in words a person can act on') });

const at = z.number().describe('hub clock, ms since the epoch');
const nodeRef = { clusterName: z.string(), nodeName: z.string(), at };

/** The `data:` of GET /v1/events, for client generators. */
export const fleetEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('node.ready'), ...nodeRef, ready: z.boolean(), reason: z.string(), lagMs: z.number().optional() }),
  z.object({ kind: z.literal('cluster.ready'), clusterName: z.string(), ready: z.boolean(), at }),
  z.object({ kind: z.literal('node.facts'), ...nodeRef }),
  z.object({ kind: z.literal('node.joined'), ...nodeRef }),
  z.object({ kind: z.literal('node.deleted'), ...nodeRef }),
  z.object({
    kind: z.literal('instance.state'),
    ...nodeRef,
    businessId: z.number().int(),
    deployId: z.number().int(),
    appName: z.string(),
    instanceId: z.string(),
    state: z.string().describe('pending, pulling, creating, running, exited, error, removing or removed'),
    previous: z.string().nullable(),
    restarts: z.number().int(),
    error: z.string().optional(),
  }),
  z.object({
    kind: z.literal('alert'),
    at,
    alert: z.object({ id: z.number().int(), kind: z.enum(['nodeNotReady', 'nodeCpuHigh', 'nodeMemoryHigh']), clusterName: z.string(), nodeName: z.string(), message: z.string(), createTime: z.number().int() }),
  }),
  z.object({
    kind: z.literal('node.load'),
    at,
    nodes: z.array(z.object({ clusterName: z.string(), nodeName: z.string(), isReady: z.boolean(), lastHeartbeatAgeMs: z.number().nullable(), cpuLoad: z.number().nullable(), memLoad: z.number().nullable() })),
  }),
]);

/** `/v1/deploy/:id` -> `/v1/deploy/{id}`. */
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const operationId = (r: RouteDoc) =>
  r.method +
  r.path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith(':') ? `By${cap(seg.slice(1))}` : cap(seg.replace(/[^A-Za-z0-9]+/g, ' ').replace(/ (\w)/g, (_, c: string) => c.toUpperCase()).replace(/ /g, ''))))
    .join('') || `${r.method}Root`;

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function rolesText(r: RouteDoc): string | undefined {
  if (!r.action) return undefined;
  const roles = PERMISSIONS[r.action] as readonly number[];
  return `Roles: ${roles.map((n) => ROLE_NAMES[n]).join(', ')}.`;
}

function operation(r: RouteDoc, bodies: Map<string, Json>): Json {
  const parameters: Json[] = [];
  for (const [name, schema] of Object.entries(r.params ?? {})) parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema) });
  if (r.query) {
    const q = jsonSchema(r.query) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      parameters.push({ name, in: 'query', required: (q.required ?? []).includes(name), schema });
    }
  }
  if (r.auth === 'stream') parameters.push({ name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', pattern: '^\\d{1,16}$' }, description: 'resume after this event id' });

  const responses: Json = {};
  const ok: Json = { description: 'success' };
  if (!r.produces) ok.content = { 'application/json': { schema: { $ref: '#/components/schemas/Envelope' } } };
  else if (r.produces === 'text/event-stream') ok.content = { 'text/event-stream': { schema: { type: 'string', description: "events; each one's data is a FleetEvent (components/schemas/FleetEvent)" } } };
  else ok.content = { [r.produces]: { schema: { type: 'string' } } };
  responses['200'] = ok;
  const errors = new Set(r.errors ?? []);
  if (r.auth === 'token' || r.auth === 'stream') errors.add(401);
  if (r.action && (PERMISSIONS[r.action] as readonly number[]).length < 5) errors.add(403);
  if (r.auth === 'stream') errors.add(403);
  if (r.body) errors.add(413);
  if (r.body || r.query || r.params) errors.add(422);
  for (const code of [...errors].sort()) {
    responses[String(code)] = { description: STATUS_TEXT[code] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }

  const op: Json = {
    operationId: operationId(r),
    tags: [r.tag],
    summary: r.summary,
    responses,
  };
  const description = [r.description, rolesText(r), r.aliasOf ? `Same as \`${r.aliasOf}\`.` : undefined, r.extension ? 'An extension: not in the VSM R3 API document.' : undefined].filter(Boolean).join(' ');
  if (description) op.description = description;
  if (parameters.length) op.parameters = parameters;
  if (r.body) {
    const [name, schema] = r.body;
    bodies.set(name, jsonSchema(schema));
    op.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } };
  }
  op.security = r.auth === 'token' ? [{ token: [] }] : r.auth === 'stream' ? [{ token: [] }, { tokenQuery: [] }] : r.auth === 'basic' ? [{ basic: [] }, {}] : [];
  return op;
}

/** The OpenAPI 3.1 document of every (not hidden) route. */
export function buildOpenApi(routes: readonly RouteDoc[]): Json {
  const paths: Record<string, Json> = {};
  const bodies = new Map<string, Json>();
  for (const r of routes) {
    if (r.hidden) continue;
    const p = (paths[openApiPath(r.path)] ??= {});
    p[r.method] = operation(r, bodies);
  }
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'VSM edge-fleet hub API',
      version: VERSION,
      description:
        'The VSM R3 API plus the hub\'s extensions. Every JSON answer is the envelope `{code, message, data?, total?, meta?}` with the HTTP status equal to `code`. The token header may be bare (`Authorization: eyJ...`) or `Bearer eyJ...`.',
    },
    servers: [{ url: '/' }],
    tags,
    paths,
    components: {
      schemas: {
        Envelope: jsonSchema(envelope),
        Error: jsonSchema(errorEnvelope),
        FleetEvent: jsonSchema(fleetEventSchema),
        ...Object.fromEntries([...bodies].sort(([a], [b]) => a.localeCompare(b))),
      },
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'The token from POST /v1/authorization, bare or as `Bearer <token>`' },
        tokenQuery: { type: 'apiKey', in: 'query', name: 'token', description: 'GET /v1/events only (EventSource cannot send headers)' },
        basic: { type: 'http', scheme: 'basic', description: 'A registry account (POST /v1/repository/user)' },
      },
    },
  };
}
