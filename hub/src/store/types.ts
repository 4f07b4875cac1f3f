/** Records the hub keeps, and the store interface every backend (lowdb today) implements. */

import type { Facts } from '../../../shared/src/protocol.js';
import type { ExternalRepoRepo, RegistryAccountRepo, RepoProjectRepo, RepositoryData } from './repository-repos.js';

export type UserStatus = 0 | 1 | 2 | 3; // pending, approved, not approved, forbidden
export type BusinessStatus = 0 | 1 | 2 | 3; // pending, approved, disapproved, deleted

export interface UserRecord {
  id: number;
  user: string;
  passwordHash: string;
  phone: string;
  realName: string;
  isAdmin: boolean;
  /** The bootstrap administrator (role 4); never deleted or demoted. */
  isSystemAdmin: boolean;
  status: UserStatus;
  businessId: number | null;
  /** Bumped when all of the user's tokens must die (password reset, forbid). */
  sessionEpoch: number;
  createTime: number;
  updateTime: number;
}

export interface BusinessRecord {
  id: number;
  name: string;
  userId: number;
  introduce: string;
  objective: string;
  scale: string;
  comment: string;
  status: BusinessStatus;
  createTime: number;
  updateTime: number;
}

export interface Revocation {
  jti: string;
  /** Unix seconds at which the token expires anyway; the revocation can be pruned then. */
  exp: number;
}

export interface HubSettings {
  privateProject: boolean;
  enableIngress: boolean;
  enableAlert: boolean;
  enableAdminAutoDeploy: boolean;
}

export interface LabelRecord {
  label: string;
  createTime: number;
}

/** A cluster exists from its first node's registration. */
export interface ClusterRecord {
  name: string;
  labels: LabelRecord[];
  createTime: number;
  updateTime: number;
}

/** A node, known from its agent's enrollment; readiness is never stored (it comes from live heartbeats). */
export interface NodeRecord {
  /** The node identity issued on first join. */
  id: string;
  nodeName: string;
  clusterName: string;
  /** sha256 of the node credential, hex. */
  credentialHash: string;
  /** sha256 of the agent's enrollment secret: lets the same agent retry a join whose welcome was lost. */
  enrollProofHash?: string;
  facts: Facts;
  agentVersion: string;
  runtime: string;
  labels: LabelRecord[];
  createTime: number;
  updateTime: number;
}

export interface PortSpec {
  containerPort: number;
  hostPort?: number;
  protocol: 'tcp' | 'udp';
}

export interface VolumeSpec {
  source: string;
  target: string;
  readOnly: boolean;
}

/** One version of an application (the document's POST /v1/app fields). */
export interface AppVersion {
  version: string;
  deployType: 'deployment' | 'daemonset';
  image: string;
  repositoryId?: string;
  port: PortSpec[];
  command: string[];
  volume: VolumeSpec[];
  env: string[];
  replicas: number;
  minReplicas: number;
  maxReplicas: number;
  minCPU: number;
  maxCPU: number;
  GPU: number;
  isHPA: boolean;
  targetCPUUtilization: number;
  targetMemUtilization: number;
  minMemory: number;
  maxMemory: number;
  maxUnavailable: number;
  maxSurge: number;
  minReadySeconds: number;
  createTime: number;
}

export interface AppRecord {
  id: number;
  appName: string;
  businessId: number;
  userId: number;
  versions: AppVersion[];
  createTime: number;
  updateTime: number;
}

/** One replica placed on one node. */
export interface InstanceRecord {
  instanceId: string;
  nodeId: string;
  version: string;
  /** ms */
  createTime: number;
}

/** 0 waiting for audit, 1 approved (running), 2 rejected, 3 superseded by a newer deploy of the app. */
export type DeployStatus = 0 | 1 | 2 | 3;

export interface DeployRecord {
  id: number;
  businessId: number;
  appName: string;
  version: string;
  clusterNames: string[];
  nodeLabel: string | null;
  comment: string;
  status: DeployStatus;
  auditComment: string;
  userId: number;
  instances: InstanceRecord[];
  nextInstance: number;
  createTime: number;
  updateTime: number;
}

export interface AlertRecord {
  id: number;
  kind: 'nodeNotReady' | 'nodeCpuHigh' | 'nodeMemoryHigh';
  clusterName: string;
  nodeName: string;
  message: string;
  createTime: number;
}

export interface HubData {
  schemaVersion: number;
  nextId: { user: number; business: number; app: number; deploy: number; alert: number } & RepositoryData['nextId'];
  users: UserRecord[];
  businesses: BusinessRecord[];
  revocations: Revocation[];
  settings: HubSettings;
  clusters: ClusterRecord[];
  nodes: NodeRecord[];
  apps: AppRecord[];
  deploys: DeployRecord[];
  alerts: AlertRecord[];
  repoProjects: RepositoryData['repoProjects'];
  registryAccounts: RepositoryData['registryAccounts'];
  externalRepos: RepositoryData['externalRepos'];
}

export interface PageQuery {
  page: number;
  /** 0 = no limit. */
  pageSize: number;
  order: 'asc' | 'desc';
}

export interface ListResult<T> {
  items: T[];
  total: number;
}

export type NewUser = Omit<UserRecord, 'id' | 'createTime' | 'updateTime'>;
export type UserPatch = Partial<Pick<UserRecord, 'passwordHash' | 'status' | 'businessId' | 'sessionEpoch' | 'isAdmin'>>;
export type NewBusiness = Omit<BusinessRecord, 'id' | 'createTime' | 'updateTime' | 'comment' | 'status'>;
export type BusinessPatch = Partial<Pick<BusinessRecord, 'status' | 'comment'>>;

/**
 * Reads answer from the store's current state. A mutation takes effect at once and its
 * promise settles when it is durable; mutations issued in the same tick are saved together,
 * and if saving fails they are all undone and every one of their promises rejects.
 */
export interface UserRepo {
  get(id: number): UserRecord | undefined;
  byName(name: string): UserRecord | undefined;
  list(q: PageQuery & { businessId?: number; orderBy: 'id' | 'user' }): ListResult<UserRecord>;
  /** All users of one business (for membership changes). */
  ofBusiness(businessId: number): UserRecord[];
  insert(u: NewUser): Promise<UserRecord>;
  update(id: number, patch: UserPatch): Promise<UserRecord>;
  remove(id: number): Promise<void>;
}

export interface BusinessRepo {
  get(id: number): BusinessRecord | undefined;
  byName(name: string): BusinessRecord | undefined;
  list(q: PageQuery & { name?: string; ids?: Set<number> }): ListResult<BusinessRecord>;
  all(): readonly BusinessRecord[];
  insert(b: NewBusiness): Promise<BusinessRecord>;
  update(id: number, patch: BusinessPatch): Promise<BusinessRecord>;
}

export interface RevocationRepo {
  has(jti: string): boolean;
  add(r: Revocation): Promise<void>;
  /** Drops revocations of tokens that have expired by `nowS`; returns how many. */
  prune(nowS: number): Promise<number>;
  count(): number;
}

export interface ClusterRepo {
  get(name: string): ClusterRecord | undefined;
  all(): readonly ClusterRecord[];
  /** Creates the cluster when absent. */
  ensure(name: string): Promise<ClusterRecord>;
  setLabels(name: string, labels: LabelRecord[]): Promise<void>;
}

export type NewNode = Omit<NodeRecord, 'createTime' | 'updateTime' | 'labels'>;
export type NodePatch = Partial<Pick<NodeRecord, 'facts' | 'agentVersion' | 'runtime' | 'labels' | 'credentialHash'>>;

export interface NodeRepo {
  get(id: string): NodeRecord | undefined;
  byName(clusterName: string, nodeName: string): NodeRecord | undefined;
  /** Nodes of one cluster, sorted by name (an index, not a scan). */
  inCluster(clusterName: string): readonly NodeRecord[];
  /** Every node, sorted by cluster then name. */
  all(): readonly NodeRecord[];
  /** Nodes carrying a label, sorted by cluster then name (an index, not a scan). */
  withLabel(label: string): readonly NodeRecord[];
  count(clusterName: string): number;
  insert(n: NewNode): Promise<NodeRecord>;
  update(id: string, patch: NodePatch): Promise<NodeRecord>;
  remove(id: string): Promise<void>;
}

export type NewApp = Omit<AppRecord, 'id' | 'createTime' | 'updateTime'>;
export type NewDeploy = Omit<DeployRecord, 'id' | 'createTime' | 'updateTime'>;
export type DeployPatch = Partial<Pick<DeployRecord, 'status' | 'auditComment' | 'instances' | 'nextInstance' | 'version'>>;

export interface AppRepo {
  get(businessId: number, appName: string): AppRecord | undefined;
  all(): readonly AppRecord[];
  insert(a: NewApp): Promise<AppRecord>;
  setVersions(id: number, versions: AppVersion[]): Promise<AppRecord>;
  remove(id: number): Promise<void>;
}

export interface DeployRepo {
  get(id: number): DeployRecord | undefined;
  /** Every deploy; the records are live (callers must not change them). */
  all(): readonly DeployRecord[];
  insert(d: NewDeploy): Promise<DeployRecord>;
  update(id: number, patch: DeployPatch): Promise<DeployRecord>;
  remove(id: number): Promise<void>;
}

export interface AlertRepo {
  all(): readonly AlertRecord[];
  /** Keeps the newest `keep` alerts. */
  insert(a: Omit<AlertRecord, 'id'>, keep: number): Promise<AlertRecord>;
}

export interface Store {
  repoProjects: RepoProjectRepo;
  registryAccounts: RegistryAccountRepo;
  externalRepos: ExternalRepoRepo;
  apps: AppRepo;
  deploys: DeployRepo;
  alerts: AlertRepo;
  users: UserRepo;
  clusters: ClusterRepo;
  nodes: NodeRepo;
  businesses: BusinessRepo;
  revocations: RevocationRepo;
  settings(): HubSettings;
  /** Changes some settings; resolves with all of them once saved (a failed save undoes the change). */
  updateSettings(patch: Partial<HubSettings>): Promise<HubSettings>;
  /** Resolves once everything changed so far is durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class StoreWriteError extends Error {}
