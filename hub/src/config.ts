import { z } from 'zod';
import { parseEnv } from '../../shared/src/env.js';

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** Every HUB_* variable, its default and type (CONTRACT.md). */
export const hubEnvSchema = z.object({
  HUB_HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
  HUB_PORT: intIn(0, 65535).default(8080),
  HUB_DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  HUB_ADMIN_USER: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'must be 1-64 letters, digits or _.@-')
    .default('admin'),
  HUB_ADMIN_PASSWORD: z.string().optional(),
  HUB_TOKEN_TTL_S: intIn(60, 30 * 24 * 3600).default(3600),
  HUB_HEARTBEAT_MS: intIn(100, 600_000).default(5000),
  HUB_NODE_GRACE_MS: intIn(200, 3_600_000).default(15000),
  HUB_RESCHEDULE_DELAY_MS: intIn(0, 24 * 3600_000).default(30_000),
  HUB_REGISTRY_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  HUB_ALERT_WEBHOOK: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  HUB_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], 'must be one of debug, info, warn, error').default('info'),
});

export interface HubConfig {
  host: string;
  port: number;
  dataDir: string;
  adminUser: string;
  adminPassword?: string;
  tokenTtlS: number;
  heartbeatMs: number;
  nodeGraceMs: number;
  /** Extra wait after the grace before replicas of a lost node move elsewhere. */
  rescheduleDelayMs: number;
  registryUrl?: string;
  /** Where alerts are POSTed (with retries); unset: alerts are only kept and listed. */
  alertWebhook?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {}

/** Validates the environment once; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv): HubConfig {
  const r = parseEnv(hubEnvSchema, env, ['HUB_ADMIN_PASSWORD']);
  if (!r.ok) throw new ConfigError(r.message);
  const e = r.data;
  if (e.HUB_NODE_GRACE_MS <= e.HUB_HEARTBEAT_MS) {
    throw new ConfigError(
      `invalid HUB_NODE_GRACE_MS=${e.HUB_NODE_GRACE_MS}: must be greater than HUB_HEARTBEAT_MS (${e.HUB_HEARTBEAT_MS})`,
    );
  }
  return {
    host: e.HUB_HOST,
    port: e.HUB_PORT,
    dataDir: e.HUB_DATA_DIR,
    adminUser: e.HUB_ADMIN_USER,
    adminPassword: e.HUB_ADMIN_PASSWORD,
    tokenTtlS: e.HUB_TOKEN_TTL_S,
    heartbeatMs: e.HUB_HEARTBEAT_MS,
    nodeGraceMs: e.HUB_NODE_GRACE_MS,
    rescheduleDelayMs: e.HUB_RESCHEDULE_DELAY_MS,
    registryUrl: e.HUB_REGISTRY_URL,
    alertWebhook: e.HUB_ALERT_WEBHOOK,
    logLevel: e.HUB_LOG_LEVEL,
  };
}
