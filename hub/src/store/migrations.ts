import type { HubData } from './types.js';

/** The schema version this hub writes. */
export const SCHEMA_VERSION = 1;

/**
 * migrations[n] turns a version-n document into version n+1. Add one per schema change and
 * bump SCHEMA_VERSION; the store keeps a copy of the old file before it saves the migrated one.
 */
export const migrations: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {};

export function emptyData(): HubData {
  return {
    schemaVersion: SCHEMA_VERSION,
    nextId: { user: 1, business: 1, app: 1, deploy: 1, alert: 1, repoProject: 1, registryAccount: 1, externalRepo: 1 },
    users: [],
    businesses: [],
    revocations: [],
    settings: { privateProject: true, enableIngress: false, enableAlert: true, enableAdminAutoDeploy: true },
    clusters: [],
    nodes: [],
    apps: [],
    deploys: [],
    alerts: [],
    repoProjects: [],
    registryAccounts: [],
    externalRepos: [],
  };
}

export class StoreOpenError extends Error {}

/** Brings a parsed document to SCHEMA_VERSION, or throws StoreOpenError saying why it can't. */
export function migrate(doc: unknown, file: string): { data: HubData; migratedFrom?: number } {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new StoreOpenError(`${file} does not hold a hub document (not a JSON object)`);
  }
  let d = doc as Record<string, unknown>;
  const from = d.schemaVersion;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) {
    throw new StoreOpenError(`${file} has no valid schemaVersion`);
  }
  if (from > SCHEMA_VERSION) {
    throw new StoreOpenError(`${file} was written by a newer hub (schema ${from}, this hub knows ${SCHEMA_VERSION})`);
  }
  for (let v = from; v < SCHEMA_VERSION; v++) {
    const step = migrations[v];
    if (!step) throw new StoreOpenError(`no migration from schema ${v}`);
    d = { ...step(d), schemaVersion: v + 1 };
  }
  const base = emptyData();
  for (const key of ['users', 'businesses', 'revocations'] as const) {
    if (!Array.isArray(d[key])) throw new StoreOpenError(`${file}: "${key}" is not a list`);
  }
  for (const key of ['clusters', 'nodes', 'apps', 'deploys', 'alerts', 'repoProjects', 'registryAccounts', 'externalRepos'] as const) {
    if (d[key] !== undefined && !Array.isArray(d[key])) throw new StoreOpenError(`${file}: "${key}" is not a list`);
  }
  const data = {
    ...base,
    ...d,
    nextId: { ...base.nextId, ...(d.nextId as object) },
    settings: { ...base.settings, ...(d.settings as object) },
  } as HubData;
  return from < SCHEMA_VERSION ? { data, migratedFrom: from } : { data };
}
