import { mkdir } from 'node:fs/promises';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from '../../../shared/src/log.js';
import { DurableJsonFile } from './json-file.js';
import { emptyData, migrate, StoreOpenError } from './migrations.js';
import { byKey, pageOf } from './paging.js';
import { addRecord } from './records.js';
import { alertRepo, appRepo, deployRepo, type StoreCore } from './workload-repos.js';
import { externalRepoRepo, registryAccountRepo, repoProjectRepo } from './repository-repos.js';
import {
  StoreWriteError,
  type BusinessPatch,
  type BusinessRecord,
  type BusinessRepo,
  type ClusterRecord,
  type ClusterRepo,
  type NodeRecord,
  type NodeRepo,
  type HubData,
  type HubSettings,
  type NewBusiness,
  type NewUser,
  type RevocationRepo,
  type Store,
  type UserPatch,
  type UserRecord,
  type UserRepo,
} from './types.js';

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function waiter(): Waiter {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Opens (or creates) the hub's lowdb file; a corrupt or unreadable one throws StoreOpenError. */
export async function openLowdbStore(dataDir: string, log: Logger, now: () => number = Date.now): Promise<LowdbStore> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'hub.json');
  const adapter = new DurableJsonFile<HubData>(file);
  let raw: HubData | null;
  try {
    raw = await adapter.read();
  } catch (e) {
    const why = e instanceof SyntaxError ? `is not valid JSON (${e.message})` : `cannot be read (${(e as Error).message})`;
    throw new StoreOpenError(`${file} ${why}; the hub will not start so that it is not overwritten`);
  }
  const store = new LowdbStore(new Low<HubData>(adapter, emptyData()), adapter, log, now);
  if (raw === null) {
    store.load(emptyData());
    await store.saveNow();
    log.info('created data file', { file });
  } else {
    const { data, migratedFrom } = migrate(raw, file);
    store.load(data);
    if (migratedFrom !== undefined) {
      await copyFile(file, `${file}.v${migratedFrom}.bak`);
      await store.saveNow();
      log.info('migrated data file', { file, from: migratedFrom });
    }
  }
  return store;
}

/** The lowdb-backed store: the whole document in memory, written as one JSON file. */
export class LowdbStore implements Store {
  private lastGood = '';
  private inFlight = false;
  /** The batch being written now; flush() waits for it too. */
  private writing: Waiter | null = null;
  private next: Waiter | null = null;
  private userById = new Map<number, UserRecord>();
  private userByName = new Map<string, UserRecord>();
  private bizById = new Map<number, BusinessRecord>();
  private bizByName = new Map<string, BusinessRecord>();
  private revoked = new Map<string, number>();
  private clusterByName = new Map<string, ClusterRecord>();
  private nodeById = new Map<string, NodeRecord>();
  /** Nodes per cluster, each list sorted by node name. */
  private nodesByCluster = new Map<string, NodeRecord[]>();
  private allNodesSorted: NodeRecord[] | null = null;
  /** Nodes by label, in the order of allNodesSorted; rebuilt at the first read after a label changed. */
  private nodesByLabel: Map<string, NodeRecord[]> | null = null;
  /** Completed writes, for metrics and tests of coalescing. */
  writes = 0;

  constructor(
    private readonly db: Low<HubData>,
    private readonly file: DurableJsonFile<HubData>,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  private get d(): HubData {
    return this.db.data;
  }

  private nowS(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Replaces the in-memory state and rebuilds the indexes. */
  load(data: HubData): void {
    this.db.data = data;
    this.lastGood = JSON.stringify(data);
    this.userById = new Map(data.users.map((u) => [u.id, u]));
    this.userByName = new Map(data.users.map((u) => [u.user.toLowerCase(), u]));
    this.bizById = new Map(data.businesses.map((b) => [b.id, b]));
    this.bizByName = new Map(data.businesses.filter((b) => b.status === 0 || b.status === 1).map((b) => [b.name.toLowerCase(), b]));
    this.revoked = new Map(data.revocations.map((r) => [r.jti, r.exp]));
    this.clusterByName = new Map(data.clusters.map((c) => [c.name, c]));
    this.nodeById = new Map(data.nodes.map((n) => [n.id, n]));
    this.nodesByCluster = new Map();
    for (const n of data.nodes) this.indexNode(n);
    this.allNodesSorted = null;
    this.nodesByLabel = null;
  }

  private indexNode(n: NodeRecord): void {
    const list = this.nodesByCluster.get(n.clusterName) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.nodeName < n.nodeName) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, n);
    this.nodesByCluster.set(n.clusterName, list);
    this.allNodesSorted = null;
  }

  /** Told the duration (ms, serialising included) and outcome of every write of the data file: metrics. */
  onWrite: ((ms: number, ok: boolean) => void) | undefined = undefined;

  async saveNow(): Promise<void> {
    const started = performance.now();
    const text = JSON.stringify(this.d);
    try {
      await this.file.writeText(text);
    } catch (e) {
      this.onWrite?.(performance.now() - started, false);
      throw e;
    }
    this.onWrite?.(performance.now() - started, true);
    this.lastGood = text;
    this.writes++;
  }

  private persist(): Promise<void> {
    if (!this.next) {
      this.next = waiter();
      if (!this.inFlight) setImmediate(() => void this.runWrite());
    }
    return this.next.promise;
  }

  private async runWrite(): Promise<void> {
    const batch = this.next;
    if (!batch || this.inFlight) return;
    this.next = null;
    this.inFlight = true;
    this.writing = batch;
    try {
      await this.saveNow();
      batch.resolve();
    } catch (e) {
      const err = new StoreWriteError(`the hub cannot save its data: ${(e as Error).message}`);
      this.log.error('store write failed; unsaved changes undone', { error: (e as Error).message });
      this.load(JSON.parse(this.lastGood) as HubData);
      batch.reject(err);
      const pending = this.next as Waiter | null;
      pending?.reject(err);
      this.next = null;
    } finally {
      this.inFlight = false;
      this.writing = null;
      if (this.next) setImmediate(() => void this.runWrite());
    }
  }

  flush(): Promise<void> {
    const last = this.next ?? this.writing;
    return last ? last.promise : Promise.resolve();
  }

  async close(): Promise<void> {
    while (this.next || this.inFlight) {
      await (this.next?.promise ?? new Promise((r) => setImmediate(r)));
    }
  }

  settings() {
    return { ...this.d.settings };
  }

  async updateSettings(patch: Partial<HubSettings>): Promise<HubSettings> {
    Object.assign(this.d.settings, patch);
    await this.persist();
    return { ...this.d.settings };
  }

  users: UserRepo = {
    get: (id) => copy(this.userById.get(id)),
    byName: (name) => copy(this.userByName.get(name.toLowerCase())),
    ofBusiness: (bid) => this.d.users.filter((u) => u.businessId === bid).map((u) => ({ ...u })),
    list: (q) => {
      let rows: readonly UserRecord[] = this.d.users;
      if (q.businessId !== undefined) rows = rows.filter((u) => u.businessId === q.businessId);
      if (q.orderBy === 'user') rows = byKey(rows, (u) => u.user.toLowerCase());
      const page = pageOf(rows, q);
      return { items: page.items.map((u) => ({ ...u })), total: page.total };
    },
    insert: (u: NewUser) => {
      const rec = addRecord(this.d.nextId, 'user', this.d.users, u, this.nowS());
      this.userById.set(rec.id, rec);
      this.userByName.set(rec.user.toLowerCase(), rec);
      return this.persist().then(() => ({ ...rec }));
    },
    update: (id, patch: UserPatch) => {
      const rec = this.userById.get(id);
      if (!rec) return Promise.reject(new Error(`user ${id} vanished`));
      Object.assign(rec, patch, { updateTime: this.nowS() });
      return this.persist().then(() => ({ ...rec }));
    },
    remove: (id) => {
      const rec = this.userById.get(id);
      if (!rec) return Promise.resolve();
      this.d.users = this.d.users.filter((u) => u.id !== id);
      this.userById.delete(id);
      this.userByName.delete(rec.user.toLowerCase());
      return this.persist();
    },
  };

  businesses: BusinessRepo = {
    get: (id) => copy(this.bizById.get(id)),
    byName: (name) => copy(this.bizByName.get(name.toLowerCase())),
    all: () => this.d.businesses,
    list: (q) => {
      let rows: readonly BusinessRecord[] = this.d.businesses;
      if (q.ids) rows = rows.filter((b) => q.ids!.has(b.id));
      if (q.name) {
        const needle = q.name.toLowerCase();
        rows = rows.filter((b) => b.name.toLowerCase().includes(needle));
      }
      const page = pageOf(rows, q);
      return { items: page.items.map((b) => ({ ...b })), total: page.total };
    },
    insert: (b: NewBusiness) => {
      const rec = addRecord(this.d.nextId, 'business', this.d.businesses, { ...b, comment: '', status: 0 }, this.nowS());
      this.bizById.set(rec.id, rec);
      this.bizByName.set(rec.name.toLowerCase(), rec);
      return this.persist().then(() => ({ ...rec }));
    },
    update: (id, patch: BusinessPatch) => {
      const rec = this.bizById.get(id);
      if (!rec) return Promise.reject(new Error(`business ${id} vanished`));
      Object.assign(rec, patch, { updateTime: this.nowS() });
      // A deleted or disapproved business frees its name; one approved again takes it back.
      const key = rec.name.toLowerCase();
      if ((rec.status === 3 || rec.status === 2) && this.bizByName.get(key) === rec) this.bizByName.delete(key);
      if ((rec.status === 0 || rec.status === 1) && !this.bizByName.has(key)) this.bizByName.set(key, rec);
      return this.persist().then(() => ({ ...rec }));
    },
  };

  clusters: ClusterRepo = {
    get: (name) => {
      const c = this.clusterByName.get(name);
      return c ? { ...c, labels: c.labels.map((l) => ({ ...l })) } : undefined;
    },
    all: () => this.d.clusters,
    ensure: async (name) => {
      const existing = this.clusterByName.get(name);
      if (existing) return { ...existing };
      const t = this.nowS();
      const rec: ClusterRecord = { name, labels: [], createTime: t, updateTime: t };
      this.d.clusters.push(rec);
      this.clusterByName.set(name, rec);
      await this.persist();
      return { ...rec };
    },
    setLabels: (name, labels) => {
      const rec = this.clusterByName.get(name);
      if (!rec) return Promise.reject(new Error(`cluster ${name} vanished`));
      rec.labels = labels.map((l) => ({ ...l }));
      rec.updateTime = this.nowS();
      return this.persist();
    },
  };

  nodes: NodeRepo = {
    get: (id) => copyNode(this.nodeById.get(id)),
    byName: (cluster, name) => copyNode(this.nodesByCluster.get(cluster)?.find((n) => n.nodeName === name)),
    inCluster: (cluster) => this.nodesByCluster.get(cluster) ?? [],
    count: (cluster) => this.nodesByCluster.get(cluster)?.length ?? 0,
    all: () => {
      if (!this.allNodesSorted) {
        const names = [...this.nodesByCluster.keys()].sort();
        this.allNodesSorted = names.flatMap((c) => this.nodesByCluster.get(c)!);
      }
      return this.allNodesSorted;
    },
    withLabel: (label) => {
      if (!this.nodesByLabel) {
        const index = new Map<string, NodeRecord[]>();
        for (const n of this.nodes.all()) {
          for (const l of n.labels) {
            const list = index.get(l.label);
            if (list) list.push(n);
            else index.set(l.label, [n]);
          }
        }
        this.nodesByLabel = index;
      }
      return this.nodesByLabel.get(label) ?? [];
    },
    insert: (n) => {
      const t = this.nowS();
      const rec: NodeRecord = { ...n, labels: [], createTime: t, updateTime: t };
      this.d.nodes.push(rec);
      this.nodeById.set(rec.id, rec);
      this.indexNode(rec);
      return this.persist().then(() => copyNode(rec)!);
    },
    update: (id, patch) => {
      const rec = this.nodeById.get(id);
      if (!rec) return Promise.reject(new Error(`node ${id} vanished`));
      Object.assign(rec, patch, { updateTime: this.nowS() });
      if (patch.labels) this.nodesByLabel = null;
      return this.persist().then(() => copyNode(rec)!);
    },
    remove: (id) => {
      const rec = this.nodeById.get(id);
      if (!rec) return Promise.resolve();
      this.d.nodes = this.d.nodes.filter((n) => n.id !== id);
      this.nodeById.delete(id);
      const list = this.nodesByCluster.get(rec.clusterName)?.filter((n) => n.id !== id) ?? [];
      if (list.length) this.nodesByCluster.set(rec.clusterName, list);
      else this.nodesByCluster.delete(rec.clusterName);
      this.allNodesSorted = null;
      if (rec.labels.length) this.nodesByLabel = null;
      return this.persist();
    },
  };

  private core: StoreCore = { data: () => this.d, persist: () => this.persist(), nowS: () => this.nowS() };
  apps = appRepo(this.core);
  deploys = deployRepo(this.core);
  alerts = alertRepo(this.core);
  repoProjects = repoProjectRepo(this.core);
  registryAccounts = registryAccountRepo(this.core);
  externalRepos = externalRepoRepo(this.core);

  revocations: RevocationRepo = {
    has: (jti) => this.revoked.has(jti),
    count: () => this.revoked.size,
    add: (r) => {
      if (this.revoked.has(r.jti)) return Promise.resolve();
      this.revoked.set(r.jti, r.exp);
      this.d.revocations.push({ ...r });
      return this.persist();
    },
    prune: async (nowS) => {
      const keep = this.d.revocations.filter((r) => r.exp > nowS);
      const dropped = this.d.revocations.length - keep.length;
      if (dropped === 0) return 0;
      this.d.revocations = keep;
      this.revoked = new Map(keep.map((r) => [r.jti, r.exp]));
      await this.persist();
      return dropped;
    },
  };
}

function copyNode(n: NodeRecord | undefined): NodeRecord | undefined {
  return n ? { ...n, facts: { ...n.facts }, labels: n.labels.map((l) => ({ ...l })) } : undefined;
}

function copy<T extends object>(v: T | undefined): T | undefined {
  return v ? { ...v } : undefined;
}
