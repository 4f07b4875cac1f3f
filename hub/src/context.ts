import type { Logger } from '../../shared/src/log.js';
import type { HubConfig } from './config.js';
import { DesiredStatePusher } from './agents/desired.js';
import { AgentRegistry } from './agents/registry.js';
import { BusinessService } from './services/businesses.js';
import { ClusterService } from './services/clusters.js';
import { EventBus } from './services/events.js';
import { LoginThrottle } from './services/login-throttle.js';
import { NamespaceService } from './services/namespaces.js';
import { NodeService } from './services/nodes.js';
import { TokenService, type Clock } from './services/tokens.js';
import { UserService } from './services/users.js';
import type { Store } from './store/types.js';

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
  /** Signs user and join tokens. */
  jwtKey: Uint8Array;
}

export interface ContextDeps {
  config: HubConfig;
  store: Store;
  log: Logger;
  jwtKey: Uint8Array;
  clock?: Clock;
}

export function createContext(d: ContextDeps): HubContext {
  const clock = d.clock ?? { now: Date.now };
  const tokens = new TokenService(d.jwtKey, d.config.tokenTtlS, d.store.revocations, clock);
  const throttle = new LoginThrottle(() => clock.now());
  const namespaces = new NamespaceService(d.store.businesses);
  const users = new UserService(d.store, tokens, throttle);
  const businesses = new BusinessService(d.store, namespaces, d.log);
  const events = new EventBus();
  const registry = new AgentRegistry(clock, d.config.nodeGraceMs, events);
  const desired = new DesiredStatePusher(registry, namespaces, clock.now());
  const now = () => clock.now();
  const nodes = new NodeService(d.store, registry, events, d.log, now);
  const clusters = new ClusterService(d.store, registry, d.jwtKey, d.log, now);
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
    jwtKey: d.jwtKey,
  };
}
