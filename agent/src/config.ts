import { hostname } from 'node:os';
import { z } from 'zod';
import { parseEnv } from '../../shared/src/env.js';

/** Every AGENT_* variable, its default and type (CONTRACT.md). */
const agentEnvSchema = z.object({
  AGENT_HUB_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://127.0.0.1:8080'),
  AGENT_TOKEN: z.string().min(1).optional(),
  AGENT_NODE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 letters, digits or _.- starting with a letter or digit')
    .optional(),
  AGENT_DATA_DIR: z.string().min(1).default('./data/agent'),
  AGENT_RUNTIME: z.enum(['docker', 'none'], 'must be docker or none').default('docker'),
  AGENT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], 'must be one of debug, info, warn, error').default('info'),
  /** How often facts are re-read (node-cron expression); they are sent only when they changed. */
  AGENT_FACTS_CRON: z.string().min(1).default('*/1 * * * *'),
  /** Host-path prefixes workloads may mount, comma-separated (none by default). */
  AGENT_HOSTPATH_ALLOW: z.string().default(''),
  /** How often the agent re-checks its containers against the desired state. */
  AGENT_RECONCILE_MS: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().min(200).max(600_000)).default(3000),
});

export interface AgentConfig {
  hubUrl: string;
  wsUrl: string;
  token?: string;
  nodeName: string;
  dataDir: string;
  runtime: 'docker' | 'none';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  factsCron: string;
  hostPathAllow: string[];
  reconcileMs: number;
}

export class AgentConfigError extends Error {}

/** The host name as a valid node name (invalid characters become dashes). */
export function defaultNodeName(host = hostname()): string {
  const cleaned = host.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return cleaned || 'node';
}

/** The WebSocket URL of the agent endpoint derived from the hub's base URL. */
export function wsUrlOf(hubUrl: string, path: string): string {
  const u = new URL(hubUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = u.pathname.replace(/\/+$/, '') + path;
  u.search = '';
  return u.toString();
}

/** Validates the environment once; a bad value throws an AgentConfigError naming the variable. */
export function loadAgentConfig(env: NodeJS.ProcessEnv, path: string): AgentConfig {
  const r = parseEnv(agentEnvSchema, env, ['AGENT_TOKEN']);
  if (!r.ok) throw new AgentConfigError(r.message);
  const e = r.data;
  return {
    hubUrl: e.AGENT_HUB_URL,
    wsUrl: wsUrlOf(e.AGENT_HUB_URL, path),
    token: e.AGENT_TOKEN,
    nodeName: e.AGENT_NODE_NAME ?? defaultNodeName(),
    dataDir: e.AGENT_DATA_DIR,
    runtime: e.AGENT_RUNTIME,
    logLevel: e.AGENT_LOG_LEVEL,
    factsCron: e.AGENT_FACTS_CRON,
    hostPathAllow: e.AGENT_HOSTPATH_ALLOW.split(',').map((p) => p.trim()).filter(Boolean),
    reconcileMs: e.AGENT_RECONCILE_MS,
  };
}
