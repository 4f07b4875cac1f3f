import type { Logger } from '../../../shared/src/log.js';
import { conflict, notFound } from '../errors.js';
import type { SecretBox } from '../registry/secret-box.js';
import { pageOf } from '../store/paging.js';
import type { ExternalRepoRecord } from '../store/repository-repos.js';
import type { PageQuery, Store } from '../store/types.js';
import { businessOf } from './apps.js';
import { assertCan } from './permissions.js';
import type { Caller } from './users.js';

export interface ExternalRepoInput {
  repositoryId: string;
  address: string;
  user: string;
  password: string;
}

/** Decrypted pull credentials of an external registry: for agents only, never for API answers or logs. */
export interface PullCredentials {
  address: string;
  user: string;
  password: string;
}

/** An external repository as the API shows it: never the password, sealed or not. */
export function publicExternalRepo(r: ExternalRepoRecord) {
  return {
    id: r.id,
    repositoryId: r.repositoryId,
    address: r.address,
    user: r.user,
    businessId: r.businessId,
    createTime: r.createTime,
    updateTime: r.updateTime,
  };
}

const context = (businessId: number, repositoryId: string) => `${businessId}/${repositoryId}`;

/** External repositories (/v1/repository/third): per-business pull credentials, encrypted at rest. */
export class ExternalRepoService {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly log: Logger,
  ) {}

  list(c: Caller, q: PageQuery) {
    assertCan(c.role, 'repository.third.read');
    const r = pageOf(this.store.externalRepos.ofBusiness(businessOf(c)), q);
    return { items: r.items.map(publicExternalRepo), total: r.total };
  }

  get(c: Caller, repositoryId: string): ExternalRepoRecord {
    assertCan(c.role, 'repository.third.read');
    const r = this.store.externalRepos.get(businessOf(c), repositoryId);
    if (!r) throw notFound(`external repository ${repositoryId}`);
    return r;
  }

  async create(c: Caller, input: ExternalRepoInput): Promise<ExternalRepoRecord> {
    assertCan(c.role, 'repository.third.write');
    const businessId = businessOf(c);
    if (this.store.externalRepos.get(businessId, input.repositoryId)) throw conflict(`external repository ${input.repositoryId} already exists`);
    const r = await this.store.externalRepos.insert({
      repositoryId: input.repositoryId,
      businessId,
      address: input.address,
      user: input.user,
      passwordSealed: this.box.seal(input.password, context(businessId, input.repositoryId)),
      userId: c.user.id,
    });
    this.log.info('external repository created', { repositoryId: r.repositoryId, businessId, address: r.address, by: c.user.id });
    return r;
  }

  /** Deletes records (deployments that use them keep running); all are checked first. */
  async remove(c: Caller, repositoryIds: string[]): Promise<void> {
    assertCan(c.role, 'repository.third.write');
    const businessId = businessOf(c);
    const found = [...new Set(repositoryIds)].map((id) => {
      const r = this.store.externalRepos.get(businessId, id);
      if (!r) throw notFound(`external repository ${id}`);
      return r;
    });
    for (const r of found) await this.store.externalRepos.remove(r.id);
    this.log.info('external repositories deleted', { repositoryIds: found.map((r) => r.repositoryId), businessId, by: c.user.id });
  }

  /**
   * The decrypted credentials of a business's external repository, for sending pull credentials to
   * that business's agents; undefined when there is no such record (or it cannot be opened).
   */
  pullCredentials(businessId: number, repositoryId: string): PullCredentials | undefined {
    const r = this.store.externalRepos.get(businessId, repositoryId);
    if (!r) return undefined;
    try {
      return { address: r.address, user: r.user, password: this.box.open(r.passwordSealed, context(businessId, repositoryId)) };
    } catch (e) {
      this.log.error('external repository password cannot be decrypted (repository-secret.key changed?)', {
        repositoryId,
        businessId,
        error: (e as Error).message,
      });
      return undefined;
    }
  }
}
