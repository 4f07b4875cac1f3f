import type { Logger } from '../../../shared/src/log.js';
import { conflict, forbidden, notFound } from '../errors.js';
import type { BusinessRecord, PageQuery, Store } from '../store/types.js';
import type { NamespaceService } from './namespaces.js';
import { assertCan } from './permissions.js';
import type { Caller } from './users.js';

export interface NewBusinessInput {
  name: string;
  introduce: string;
  objective: string;
  scale: string;
}

/** Business namespaces: creation by an admin, approval by the system admin, deletion. */
export class BusinessService {
  constructor(
    private readonly store: Store,
    private readonly namespaces: NamespaceService,
    private readonly log: Logger,
  ) {}

  async create(c: Caller, input: NewBusinessInput): Promise<BusinessRecord> {
    assertCan(c.role, 'business.create');
    if (!c.user.isAdmin) throw forbidden('only administrators may create a business');
    const mine = this.store.businesses.all().find((b) => b.userId === c.user.id && b.status === 0);
    if (mine) throw conflict(`your business ${mine.name} is still waiting for approval`);
    if (this.store.businesses.byName(input.name)) throw conflict(`business ${input.name} already exists`);
    return this.store.businesses.insert({ ...input, userId: c.user.id });
  }

  /** Ids of the businesses a non-admin caller may see: the one they belong to and those they created. */
  private visibleIds(c: Caller): Set<number> {
    const ids = new Set(this.store.businesses.all().filter((b) => b.userId === c.user.id).map((b) => b.id));
    if (c.user.businessId !== null) ids.add(c.user.businessId);
    return ids;
  }

  list(c: Caller, q: PageQuery & { name?: string }) {
    assertCan(c.role, 'business.read');
    return this.store.businesses.list({ ...q, ids: c.role === 4 ? undefined : this.visibleIds(c) });
  }

  get(c: Caller, id: number): BusinessRecord {
    assertCan(c.role, 'business.read');
    const b = this.store.businesses.get(id);
    if (!b || (c.role !== 4 && !this.visibleIds(c).has(id))) throw notFound(`business ${id}`);
    return b;
  }

  /** PUT /v1/business/id/[id]: 1 approves (the creator becomes its admin, ns<id> goes to every node), 2 disapproves. */
  async audit(c: Caller, id: number, status: 1 | 2, comment: string): Promise<BusinessRecord> {
    assertCan(c.role, 'business.audit');
    const b = this.get(c, id);
    if (b.status === 3) throw conflict(`business ${id} is deleted`);
    if (b.status === 1) throw conflict(`business ${id} is already approved; delete it instead`);
    if (status === 2) return this.store.businesses.update(id, { status, comment });
    const creator = this.store.users.get(b.userId);
    if (!creator) throw conflict(`the creator of business ${id} no longer exists; it cannot be approved`);
    const holder = this.store.businesses.byName(b.name);
    if (holder && holder.id !== id) throw conflict(`business name ${b.name} is now used by business ${holder.id}`);
    if (creator.businessId !== null && creator.businessId !== id) {
      const other = this.store.businesses.get(creator.businessId);
      if (other?.status === 1) throw conflict(`the creator already administers business ${other.id}`);
    }
    const saved = this.store.businesses.update(id, { status, comment });
    const member = this.store.users.update(creator.id, { businessId: id });
    const [rec] = await Promise.all([saved, member]);
    this.log.info('business approved', { businessId: id, namespace: `ns${id}` });
    this.namespaces.changed();
    return rec;
  }

  /** DELETE /v1/business/id/[id]: status 3; members leave it; its namespace goes away everywhere. */
  async remove(c: Caller, id: number): Promise<void> {
    assertCan(c.role, 'business.delete');
    const b = this.get(c, id);
    if (b.status === 3) throw notFound(`business ${id}`);
    const writes: Promise<unknown>[] = [this.store.businesses.update(id, { status: 3 })];
    for (const u of this.store.users.ofBusiness(id)) writes.push(this.store.users.update(u.id, { businessId: null }));
    // Its workloads go with it; the namespace push below removes the containers everywhere.
    for (const d of this.store.deploys.all().filter((x) => x.businessId === id)) writes.push(this.store.deploys.remove(d.id));
    await Promise.all(writes);
    this.log.info('business deleted', { businessId: id, wasApproved: b.status === 1 });
    if (b.status === 1) this.namespaces.changed();
  }
}
