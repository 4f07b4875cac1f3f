/** Records and lowdb repos of Repository Management: projects, registry accounts, external repositories. */
import { addRecord, type StoreCore } from './records.js';

/** A project: the first path segment of image names in the hub's registry, owned by a business. */
export interface RepoProjectRecord {
  id: number;
  projectName: string;
  /** The owning business; null for a project of the system administrator. */
  businessId: number | null;
  public: boolean;
  /** The user who created it. */
  userId: number;
  createTime: number;
  updateTime: number;
}

/** A registry account (docker login): one per hub user; its rights follow the user's business. */
export interface RegistryAccountRecord {
  id: number;
  user: string;
  passwordHash: string;
  /** The hub user who owns it. */
  userId: number;
  createTime: number;
  updateTime: number;
}

/** Pull credentials of an external registry, kept for one business. */
export interface ExternalRepoRecord {
  id: number;
  repositoryId: string;
  businessId: number;
  address: string;
  user: string;
  /** AES-256-GCM sealed password (hub/src/registry/secret-box.ts); never leaves the hub except to agents. */
  passwordSealed: string;
  userId: number;
  createTime: number;
  updateTime: number;
}

/** The part of the hub document these repos own (arrays default to [] in migrations.ts). */
export interface RepositoryData {
  nextId: { repoProject: number; registryAccount: number; externalRepo: number };
  repoProjects: RepoProjectRecord[];
  registryAccounts: RegistryAccountRecord[];
  externalRepos: ExternalRepoRecord[];
}

export type NewRepoProject = Omit<RepoProjectRecord, 'id' | 'createTime' | 'updateTime'>;
export type NewRegistryAccount = Omit<RegistryAccountRecord, 'id' | 'createTime' | 'updateTime'>;
export type NewExternalRepo = Omit<ExternalRepoRecord, 'id' | 'createTime' | 'updateTime'>;

export interface RepoProjectRepo {
  get(id: number): RepoProjectRecord | undefined;
  /** Case-insensitive: registry names are lower-case anyway. */
  byName(projectName: string): RepoProjectRecord | undefined;
  /** Every project, by id. */
  all(): readonly RepoProjectRecord[];
  insert(p: NewRepoProject): Promise<RepoProjectRecord>;
  remove(id: number): Promise<void>;
}

export interface RegistryAccountRepo {
  byName(user: string): RegistryAccountRecord | undefined;
  ofUser(userId: number): RegistryAccountRecord | undefined;
  insert(a: NewRegistryAccount): Promise<RegistryAccountRecord>;
  setPasswordHash(id: number, passwordHash: string): Promise<RegistryAccountRecord>;
}

export interface ExternalRepoRepo {
  get(businessId: number, repositoryId: string): ExternalRepoRecord | undefined;
  /** The external repositories of one business, by id. */
  ofBusiness(businessId: number): ExternalRepoRecord[];
  insert(r: NewExternalRepo): Promise<ExternalRepoRecord>;
  remove(id: number): Promise<void>;
}

/** What the lowdb store lends these repos: the part of its document they own. */
export type RepositoryStoreCore = StoreCore<RepositoryData>;

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function repoProjectRepo(core: RepositoryStoreCore): RepoProjectRepo {
  return {
    get: (id) => copy(core.data().repoProjects.find((p) => p.id === id)),
    byName: (name) => copy(core.data().repoProjects.find((p) => same(p.projectName, name))),
    all: () => core.data().repoProjects,
    insert: (p) => {
      const d = core.data();
      const rec = addRecord(d.nextId, 'repoProject', d.repoProjects, p, core.nowS());
      return core.persist().then(() => ({ ...rec }));
    },
    remove: (id) => {
      const d = core.data();
      d.repoProjects = d.repoProjects.filter((p) => p.id !== id);
      return core.persist();
    },
  };
}

export function registryAccountRepo(core: RepositoryStoreCore): RegistryAccountRepo {
  return {
    byName: (name) => copy(core.data().registryAccounts.find((a) => same(a.user, name))),
    ofUser: (userId) => copy(core.data().registryAccounts.find((a) => a.userId === userId)),
    insert: (a) => {
      const d = core.data();
      const rec = addRecord(d.nextId, 'registryAccount', d.registryAccounts, a, core.nowS());
      return core.persist().then(() => ({ ...rec }));
    },
    setPasswordHash: (id, passwordHash) => {
      const rec = core.data().registryAccounts.find((a) => a.id === id);
      if (!rec) return Promise.reject(new Error(`registry account ${id} vanished`));
      Object.assign(rec, { passwordHash, updateTime: core.nowS() });
      return core.persist().then(() => ({ ...rec }));
    },
  };
}

export function externalRepoRepo(core: RepositoryStoreCore): ExternalRepoRepo {
  return {
    get: (bid, rid) => copy(core.data().externalRepos.find((r) => r.businessId === bid && r.repositoryId === rid)),
    ofBusiness: (bid) => core.data().externalRepos.filter((r) => r.businessId === bid).map((r) => ({ ...r })),
    insert: (r) => {
      const d = core.data();
      const rec = addRecord(d.nextId, 'externalRepo', d.externalRepos, r, core.nowS());
      return core.persist().then(() => ({ ...rec }));
    },
    remove: (id) => {
      const d = core.data();
      d.externalRepos = d.externalRepos.filter((r) => r.id !== id);
      return core.persist();
    },
  };
}

function copy<T extends object>(v: T | undefined): T | undefined {
  return v ? { ...v } : undefined;
}
