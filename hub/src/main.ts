import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createLogger } from '../../shared/src/log.js';
import { PROTOCOL_VERSION } from '../../shared/src/protocol.js';
import { VERSION } from '../../shared/src/version.js';
import { AgentGateway } from './agents/gateway.js';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createContext } from './context.js';
import { startControllers } from './jobs/controllers.js';
import { startJobs } from './jobs/index.js';
import { loadOrCreateKey } from './secrets.js';
import { loadOrCreateSigningKey } from './registry/keys.js';
import { SECRET_KEY_FILE } from './registry/secret-box.js';
import { publishInstanceChanges } from './services/sse-instances.js';
import { generatePassword, isStrongPassword, PASSWORD_RULE } from './services/passwords.js';
import { openLowdbStore } from './store/lowdb-store.js';
import { StoreOpenError } from './store/migrations.js';

/** The one place that reads process.env, opens files and ports, and handles signals. */
async function main(): Promise<void> {
  if (process.argv.includes('--version')) {
    process.stdout.write(`vsm-hub ${VERSION} (agent protocol ${PROTOCOL_VERSION})\n`);
    return;
  }
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.logLevel, name: 'hub' });
  if (config.adminPassword !== undefined && !isStrongPassword(config.adminPassword)) {
    throw new ConfigError(`invalid HUB_ADMIN_PASSWORD: ${PASSWORD_RULE}`);
  }
  const store = await openLowdbStore(config.dataDir, log);
  const jwtKey = await loadOrCreateKey(config.dataDir, 'jwt.key');
  const registryKey = await loadOrCreateSigningKey(config.dataDir);
  const secretKey = await loadOrCreateKey(config.dataDir, SECRET_KEY_FILE);
  const ctx = createContext({ config, store, log, jwtKey, registryKey, secretKey });

  const password = config.adminPassword ?? generatePassword();
  if (await ctx.users.ensureSystemAdmin(config.adminUser, password)) {
    // Printed once, on first start: the operator's only chance to see a generated password.
    process.stdout.write(`admin user: ${config.adminUser}\n`);
    process.stdout.write(
      config.adminPassword === undefined ? `admin password: ${password}\n` : 'admin password: (from HUB_ADMIN_PASSWORD)\n',
    );
  }

  const app = createApp(ctx);
  // Slow or idle clients are cut off: headers within 10 s, the whole request within 30 s, checked
  // every second (Node's default check runs every 30 s, which let a slowloris hold a socket for 40 s).
  const server = serve({
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    serverOptions: { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1000 },
  }) as Server;
  const gateway = new AgentGateway(
    {
      store,
      registry: ctx.registry,
      nodes: ctx.nodes,
      desired: ctx.desired,
      joinKey: jwtKey,
      clock: ctx.clock,
      log,
      onStatus: () => void ctx.workloads.tick(),
      onInstances: (s, before) => publishInstanceChanges(store, ctx.events, s, before, ctx.clock.now()),
    },
    { heartbeatMs: config.heartbeatMs, graceMs: config.nodeGraceMs },
  );
  ctx.metrics.watchGateway(gateway);
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(`hub listening on http://${hostForUrl}:${port}\n`);
  log.info('hub started', { host: config.host, port, dataDir: config.dataDir });

  gateway.start();
  const stopJobs = startJobs(ctx);
  const stopControllers = startControllers(ctx);
  const stopWebhook = ctx.alertWebhook?.start(ctx.events);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('hub stopping', { signal });
    await stopJobs();
    stopControllers();
    stopWebhook?.();
    gateway.stop();
    server.close();
    server.closeAllConnections();
    try {
      await store.close();
    } catch (e) {
      log.error('the last store write failed; recent changes may be lost', { error: (e as Error).message });
      process.exit(1);
    }
    log.info('hub stopped; store flushed');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError || e instanceof StoreOpenError) {
    process.stderr.write(`hub: ${e.message}\n`);
  } else {
    process.stderr.write(`hub: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  process.exit(1);
});
