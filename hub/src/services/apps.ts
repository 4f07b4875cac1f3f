import type { z } from 'zod';
import { conflict, forbidden, notFound } from '../errors.js';
import type { createAppBody } from '../schemas/apps.js';
import { byKey, pageOf } from '../store/paging.js';
import type { AppRecord, AppVersion, DeployRecord, PageQuery, Store } from '../store/types.js';
import { assertCan } from './permissions.js';
import type { Caller } from './users.js';

export type NewAppInput = z.output<typeof createAppBody>;

/** The business whose apps the caller works with; the system admin has none (reads all). */
export function businessOf(c: Caller): number {
  if (c.user.businessId === null || (c.role !== 2 && c.role !== 3)) throw forbidden('applications belong to a business; you are in none');
  return c.user.businessId;
}

/** The app a deploy runs, as the store holds it (not a copy: callers only read it). */
export function appOf(store: Store, d: Pick<DeployRecord, 'businessId' | 'appName'>): AppRecord | undefined {
  return store.apps.all().find((a) => a.businessId === d.businessId && a.appName === d.appName);
}

/** Applications: versions of a container spec, owned by a business. */
export class AppService {
  /** `now` in ms; the context should pass its clock (the default keeps older wiring working). */
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** POST /v1/app: a new app, or a new version of an existing one. */
  async create(c: Caller, input: NewAppInput): Promise<AppRecord> {
    assertCan(c.role, 'app.write');
    const businessId = businessOf(c);
    const { appName, ...spec } = input;
    const version: AppVersion = { ...spec, createTime: Math.floor(this.now() / 1000) };
    const existing = this.store.apps.get(businessId, appName);
    if (!existing) return this.store.apps.insert({ appName, businessId, userId: c.user.id, versions: [version] });
    if (existing.versions.some((v) => v.version === input.version)) {
      throw conflict(`app ${appName} already has version ${input.version}`);
    }
    return this.store.apps.setVersions(existing.id, [...existing.versions, version]);
  }

  private visible(c: Caller): readonly AppRecord[] {
    assertCan(c.role, 'app.read');
    if (c.role === 4) return this.store.apps.all();
    const bid = businessOf(c);
    return this.store.apps.all().filter((a) => a.businessId === bid);
  }

  list(c: Caller, q: PageQuery & { orderBy: 'id' | 'appName'; appName?: string }) {
    let rows = this.visible(c);
    if (q.appName) rows = rows.filter((a) => a.appName.includes(q.appName!));
    if (q.orderBy === 'appName') rows = byKey(rows, (a) => a.appName);
    return pageOf(rows, q);
  }

  get(c: Caller, appName: string, businessId?: number): AppRecord {
    const rows = this.visible(c).filter((a) => a.appName === appName && (businessId === undefined || a.businessId === businessId));
    if (!rows[0]) throw notFound(`app ${appName}`);
    return structuredClone(rows[0]);
  }

  /** DELETE /v1/app/[appName]: refused (409) while a deployment of it waits or runs. */
  async remove(c: Caller, appName: string): Promise<void> {
    assertCan(c.role, 'app.write');
    const app = this.get(c, appName, businessOf(c));
    const live = this.store.deploys.all().find((d) => d.businessId === app.businessId && d.appName === appName && (d.status === 0 || d.status === 1));
    if (live) throw conflict(`app ${appName} is deployed (deploy ${live.id}); delete the deployment first`);
    await this.store.apps.remove(app.id);
  }
}
