import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../shared/src/log.js';
import type { HubConfig } from './config.js';
import { DesiredStatePusher } from './agents/desired.js';
import { AgentRegistry } from './agents/registry.js';
import { AlertService } from './services/alerts.js';
import { AppService } from './services/apps.js';
import { BusinessService } from './services/businesses.js';
import { DeployService } from './services/deploys.js';
import { WorkloadController } from './services/workloads.js';
import { ClusterService } from './services/clusters.js';
import { EventBus } from './services/events.js';
import { MetricsService } from './services/metrics.js';
import { EventLog } from './services/sse.js';
import { AlertWebhook } from './services/webhook.js';
import { LoginThrottle } from './services/login-throttle.js';
import { NamespaceService } from './services/namespaces.js';
import { NodeService } from './services/nodes.js';
import { TokenService, type Clock } from './services/tokens.js';
import { UserService } from './services/users.js';
import { createRepositoryServices } from './services/repository-context.js';
import type { RepositoryService } from './services/repositories.js';
import type { RegistryAccountService } from './services/repository-accounts.js';
import type { ExternalRepoService } from './services/repository-third.js';
import type { Store } from './store/types.js';

/** Fleet events kept for Last-Event-ID resume: minutes of a busy fleet, a few MB at most. */
export const EVENT_LOG_SIZE = 2000;

/** Everything a route or job may use; time and the outside are passed in, never imported. */
export interface HubContext {
  config: HubConfig;
  store: Store;
  clock: Clock;
  log: Logger;
  tokens: TokenService;
  throttle: LoginThrottle;
  namespaces: NamespaceService;
  users: UserService;
  businesses: BusinessService;
  events: EventBus;
  registry: AgentRegistry;
  desired: DesiredStatePusher;
  nodes: NodeService;
  clusters: ClusterService;
  apps: AppService;
  deploys: DeployService;
  workloads: WorkloadController;
  alerts: AlertService;
  /** Recent fleet events, numbered, for GET /v1/events (resume with Last-Event-ID). */
  eventLog: EventLog;
  /** Prometheus metrics for GET /metrics. */
  metrics: MetricsService;
  /** POSTs alerts to HUB_ALERT_WEBHOOK; absent when that is unset. main.ts starts it. */
  alertWebhook?: AlertWebhook;
  /** Signs user and join tokens. */
  jwtKey: Uint8Array;
  /** Repository Management: projects, images and tags in the registry. */
  repositories: RepositoryService;
  /** Registry accounts and the registry's token service. */
  registryAccounts: RegistryAccountService;
  /** External repositories; pullCredentials(businessId, repositoryId) gives agents the decrypted password. */
  externalRepos: ExternalRepoService;
}

export interface ContextDeps {
  config: HubConfig;
  store: Store;
  log: Logger;
  jwtKey: Uint8Array;
  clock?: Clock;
  /** Registry token signing key (HUB_DATA_DIR/registry-token.key); throwaway when absent. */
  registryKey?: KeyObject;
  /** Key of external repository passwords (HUB_DATA_DIR/repository-secret.key); throwaway when absent. */
  secretKey?: Uint8Array;
}

export function createContext(d: ContextDeps): HubContext {
  const clock = d.clock ?? { now: Date.now };
  const tokens = new TokenService(d.jwtKey, d.config.tokenTtlS, d.store.revocations, clock);
  const throttle = new LoginThrottle(() => clock.now());
  const namespaces = new NamespaceService(d.store.businesses);
  const users = new UserService(d.store, tokens, throttle);
  const businesses = new BusinessService(d.store, namespaces, d.log);
  const events = new EventBus();
  const eventLog = new EventLog(events, EVENT_LOG_SIZE, clock.now());
  const registry = new AgentRegistry(clock, d.config.nodeGraceMs, events);
  const desired = new DesiredStatePusher(registry, namespaces, clock.now());
  const now = () => clock.now();
  const nodes = new NodeService(d.store, registry, events, d.log, now);
  const clusters = new ClusterService(d.store, registry, d.jwtKey, d.log, now);
  const workloads = new WorkloadController(
    d.store,
    registry,
    desired,
    { graceMs: d.config.nodeGraceMs, rescheduleDelayMs: d.config.rescheduleDelayMs },
    now,
    d.log,
  );
  const apps = new AppService(d.store, now);
  const deploys = new DeployService(d.store, registry, workloads, desired, d.log);
  const alerts = new AlertService(d.store, registry, events, d.log, now);
  const metrics = new MetricsService({ store: d.store, registry, events, eventLog });
  metrics.watchStore(d.store);
  const alertWebhook = d.config.alertWebhook
    ? new AlertWebhook({ url: d.config.alertWebhook }, { log: d.log, onResult: (r) => metrics.webhookResult(r) })
    : undefined;
  const repositories = createRepositoryServices({ config: d.config, store: d.store, log: d.log, clock, registryKey: d.registryKey, secretKey: d.secretKey });
  // Pull credentials of a business's external repositories go only into the workloads that use them.
  workloads.setPullAuthSource((businessId, repositoryId) => {
    const c = repositories.externalRepos.pullCredentials(businessId, repositoryId);
    return c && { serveraddress: c.address, username: c.user, password: c.password };
  });
  return {
    config: d.config,
    store: d.store,
    clock,
    log: d.log,
    tokens,
    throttle,
    namespaces,
    users,
    businesses,
    events,
    registry,
    desired,
    nodes,
    clusters,
    apps,
    deploys,
    workloads,
    alerts,
    eventLog,
    metrics,
    alertWebhook,
    jwtKey: d.jwtKey,
    ...repositories,
  };
}
