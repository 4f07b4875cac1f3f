import { addRecord, type StoreCore as Core } from './records.js';
import type { AlertRepo, AppRecord, AppRepo, DeployRecord, DeployRepo, HubData } from './types.js';

/** What the workload repositories need of the lowdb store: the whole document. */
export type StoreCore = Core<HubData>;

const cloneApp = (a: AppRecord): AppRecord => structuredClone(a);
const cloneDeploy = (d: DeployRecord): DeployRecord => structuredClone(d);

export function appRepo(core: StoreCore): AppRepo {
  const find = (id: number) => core.data().apps.find((a) => a.id === id);
  return {
    get: (businessId, appName) => {
      const a = core.data().apps.find((x) => x.businessId === businessId && x.appName === appName);
      return a ? cloneApp(a) : undefined;
    },
    all: () => core.data().apps,
    insert: async (a) => {
      const d = core.data();
      const rec = addRecord(d.nextId, 'app', d.apps, structuredClone(a), core.nowS());
      await core.persist();
      return cloneApp(rec);
    },
    setVersions: async (id, versions) => {
      const rec = find(id);
      if (!rec) throw new Error(`app ${id} vanished`);
      rec.versions = structuredClone(versions);
      rec.updateTime = core.nowS();
      await core.persist();
      return cloneApp(rec);
    },
    remove: async (id) => {
      const d = core.data();
      d.apps = d.apps.filter((a) => a.id !== id);
      await core.persist();
    },
  };
}

export function deployRepo(core: StoreCore): DeployRepo {
  const find = (id: number) => core.data().deploys.find((x) => x.id === id);
  return {
    get: (id) => {
      const rec = find(id);
      return rec ? cloneDeploy(rec) : undefined;
    },
    all: () => core.data().deploys,
    insert: async (n) => {
      const d = core.data();
      const rec = addRecord(d.nextId, 'deploy', d.deploys, structuredClone(n), core.nowS());
      await core.persist();
      return cloneDeploy(rec);
    },
    update: async (id, patch) => {
      const rec = find(id);
      if (!rec) throw new Error(`deploy ${id} vanished`);
      Object.assign(rec, structuredClone(patch), { updateTime: core.nowS() });
      await core.persist();
      return cloneDeploy(rec);
    },
    remove: async (id) => {
      const d = core.data();
      d.deploys = d.deploys.filter((x) => x.id !== id);
      await core.persist();
    },
  };
}

export function alertRepo(core: StoreCore): AlertRepo {
  return {
    all: () => core.data().alerts,
    insert: async (a, keep) => {
      const d = core.data();
      const rec = { ...a, id: d.nextId.alert++ };
      d.alerts.push(rec);
      if (d.alerts.length > keep) d.alerts = d.alerts.slice(d.alerts.length - keep);
      await core.persist();
      return { ...rec };
    },
  };
}
