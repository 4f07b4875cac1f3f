import { z } from 'zod';

/** Bumped on any incompatible change to the messages below; the hub refuses other versions. */
export const PROTOCOL_VERSION = 1;

/** The WebSocket path agents connect to. */
export const AGENT_WS_PATH = '/v1/agent/ws';

/** Largest frame either side accepts (bytes). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * How often each side of the agent link checks the other with a ping: the heartbeat period, but
 * at least three times per grace so that a dead link is found well inside it.
 */
export const pingIntervalMs = (heartbeatMs: number, graceMs: number): number => Math.max(100, Math.min(heartbeatMs, Math.floor(graceMs / 3)));

/** WebSocket close codes the hub and agent use, with their meaning. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  tooBig: 1009,
  replaced: 4000,
  unauthorized: 4001,
  incompatible: 4002,
  badMessage: 4003,
  nodeDeleted: 4004,
  nameTaken: 4009,
  helloTimeout: 4010,
  rateLimited: 4029,
} as const;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 letters, digits or _.- starting with a letter or digit');
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const pct = z.number().min(0).max(100);

/** What an agent knows about its node (API-NOTES "Node facts"). */
export const factsSchema = z.object({
  operatingSystem: z.string().max(64),
  kernelVersion: z.string().max(128),
  ip: z.string().max(64),
  cpu: z.number().int().min(0).max(100_000),
  memory: bytes,
  gpu: bytes,
  disk: bytes,
  hostname: z.string().max(255).optional(),
  arch: z.string().max(32).optional(),
  distro: z.string().max(128).optional(),
});
export type Facts = z.infer<typeof factsSchema>;

export const helloMsg = z.object({
  type: z.literal('hello'),
  protocolVersion: z.number().int(),
  agentVersion: z.string().max(64),
  nodeName: name,
  runtime: z.enum(['docker', 'none']),
  facts: factsSchema,
  /**
   * With a join token only: a secret the agent generated and saved before its first join. A retry
   * that presents it again (the welcome was lost) gets the same node back instead of "name taken".
   */
  enrollProof: z.string().min(32).max(128).optional(),
});

export const welcomeMsg = z.object({
  type: z.literal('welcome'),
  protocolVersion: z.number().int(),
  nodeId: z.string().max(64),
  nodeName: name,
  clusterName: name,
  /** Only on first join: the node's credential, to be stored with mode 0600 and used from then on. */
  credential: z.string().max(256).optional(),
  heartbeatMs: z.number().int().positive(),
  graceMs: z.number().int().positive(),
});

export const heartbeatMsg = z.object({
  type: z.literal('heartbeat'),
  seq: z.number().int().min(0),
  cpuLoad: pct,
  memLoad: pct,
});

export const factsMsg = z.object({ type: z.literal('facts'), facts: factsSchema });

const portSpec = z.object({
  containerPort: z.number().int().min(1).max(65535),
  hostPort: z.number().int().min(1).max(65535).optional(),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});

const volumeSpec = z.object({
  /** A named volume (scoped to the namespace by the agent) or an absolute host path. */
  source: z.string().min(1).max(512),
  target: z.string().min(1).max(512),
  readOnly: z.boolean().default(false),
});

/** Pull credentials for a private repository; sent only to nodes that run its images. */
const pullAuth = z.object({ serveraddress: z.string().max(512), username: z.string().max(256), password: z.string().max(1024) });

/** One container the node must run. `specHash` changes whenever anything that needs a new container changes. */
export const workloadSpec = z.object({
  instanceId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  deployId: z.number().int().min(1),
  namespace: z.string().regex(/^ns\d{1,15}$/),
  appName: z.string().max(63),
  version: z.string().max(32),
  image: z.string().min(1).max(512),
  command: z.array(z.string().max(4096)).max(256),
  env: z.array(z.string().max(8192)).max(512),
  ports: z.array(portSpec).max(64),
  volumes: z.array(volumeSpec).max(64),
  /** CPU limit in percent of one core (0 = none). */
  maxCPU: z.number().min(0).max(100_000),
  /** Memory limit and reservation in MB (0 = none). */
  maxMemory: z.number().min(0).max(10_000_000),
  minMemory: z.number().min(0).max(10_000_000),
  gpu: z.number().int().min(0).max(64),
  pullAuth: pullAuth.optional(),
  specHash: z.string().max(128),
});
export type WorkloadSpec = z.infer<typeof workloadSpec>;

/** What an agent sees of one instance. */
export const instanceStatus = z.object({
  instanceId: z.string().max(64),
  specHash: z.string().max(128),
  state: z.enum(['pending', 'pulling', 'creating', 'running', 'exited', 'error', 'removing']),
  exitCode: z.number().int().optional(),
  restarts: z.number().int().min(0),
  /** Clock time (ms) the container last started, 0 if never. */
  startedAt: z.number().min(0),
  error: z.string().max(2000).optional(),
  cpuPct: z.number().min(0).optional(),
  memBytes: z.number().min(0).optional(),
  containerId: z.string().max(128).optional(),
});
export type InstanceStatus = z.infer<typeof instanceStatus>;

/** The whole desired state of one node; resent on connect and on every change. */
export const desiredMsg = z.object({
  type: z.literal('desired'),
  generation: z.number().int().min(0),
  namespaces: z.array(z.string().max(64)).max(10_000),
  workloads: z.array(workloadSpec).max(1000).default([]),
});

export const ackMsg = z.object({ type: z.literal('ack'), generation: z.number().int().min(0) });

/** What actually exists on the node, reported after each reconcile. */
export const statusMsg = z.object({
  type: z.literal('status'),
  generation: z.number().int().min(0),
  namespaces: z.array(z.string().max(64)).max(10_000),
  instances: z.array(instanceStatus).max(1000).default([]),
  error: z.string().max(2000).optional(),
});

export const requestMsg = z.object({
  type: z.literal('request'),
  id: z.string().max(64),
  method: z.string().max(64),
  params: z.record(z.string(), z.unknown()).optional(),
});

export const responseMsg = z.object({
  type: z.literal('response'),
  id: z.string().max(64),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.string().max(2000).optional(),
});

export const goodbyeMsg = z.object({ type: z.literal('goodbye'), reason: z.string().max(200) });

/** Messages an agent sends. */
export const agentMessage = z.discriminatedUnion('type', [helloMsg, heartbeatMsg, factsMsg, ackMsg, statusMsg, responseMsg, goodbyeMsg]);
/** Messages the hub sends. */
export const hubMessage = z.discriminatedUnion('type', [welcomeMsg, desiredMsg, requestMsg, goodbyeMsg]);

export type AgentMessage = z.infer<typeof agentMessage>;
export type HubMessage = z.infer<typeof hubMessage>;
export type Hello = z.infer<typeof helloMsg>;
export type Welcome = z.infer<typeof welcomeMsg>;
export type Desired = z.infer<typeof desiredMsg>;

export type ParseResult<T> = { ok: true; msg: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodType<T>, value: unknown): ParseResult<T> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, msg: r.data };
  const i = r.error.issues[0];
  return { ok: false, error: i ? `${i.path.join('.') || 'message'}: ${i.message}` : 'invalid message' };
}

export const parseAgentMessage = (v: unknown) => parseWith(agentMessage, v);
export const parseHubMessage = (v: unknown) => parseWith(hubMessage, v);
