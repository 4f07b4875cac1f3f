import type { Logger } from '../../../shared/src/log.js';
import { AppError, conflict, invalid, noRegistry, notFound, unauthorized } from '../errors.js';
import { grantActions, parseRepositoryScope, projectOf, type Principal, type ProjectFacts, type ResourceAccess } from '../registry/scope.js';
import { CLIENT_TOKEN_TTL_S, REGISTRY_SERVICE, type RegistryTokenSigner, type SignedRegistryToken } from '../registry/token-signer.js';
import type { RegistryAccountRecord } from '../store/repository-repos.js';
import type { Store } from '../store/types.js';
import type { LoginThrottle } from './login-throttle.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import { assertCan, roleOf } from './permissions.js';
import type { Caller } from './users.js';

export interface TokenRequest {
  /** From `Authorization: Basic`; undefined when the client sent none. */
  credentials?: { user: string; password: string };
  ip: string;
  service?: string;
  scopes: string[];
}

const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="vsm-hub registry token service", charset="UTF-8"' };

/** Registry accounts (docker login) and the token service the registry delegates authentication to. */
export class RegistryAccountService {
  constructor(
    private readonly store: Store,
    private readonly signer: RegistryTokenSigner,
    private readonly throttle: LoginThrottle,
    private readonly log: Logger,
    /** host[:port] of the registry; undefined when none is configured. */
    private readonly registryHost: string | undefined,
  ) {}

  private assertConfigured(): string {
    if (this.registryHost === undefined) throw noRegistry();
    return this.registryHost;
  }

  hasAccount(userId: number): boolean {
    return this.store.registryAccounts.ofUser(userId) !== undefined;
  }

  /** POST /v1/repository/user: the caller's one registry account. */
  async create(c: Caller, input: { user: string; password: string }): Promise<RegistryAccountRecord> {
    assertCan(c.role, 'repository.account.write');
    this.assertConfigured();
    const mine = this.store.registryAccounts.ofUser(c.user.id);
    if (mine) throw conflict(`you already have the registry account ${mine.user}; change its password with PUT /v1/repository/user`);
    if (this.store.registryAccounts.byName(input.user)) throw conflict(`registry account ${input.user} already exists`);
    const passwordHash = await hashPassword(input.password);
    // Checked again: another request may have taken the name or given the caller an account meanwhile.
    if (this.store.registryAccounts.byName(input.user) || this.store.registryAccounts.ofUser(c.user.id)) {
      throw conflict(`registry account ${input.user} already exists`);
    }
    const a = await this.store.registryAccounts.insert({ user: input.user, passwordHash, userId: c.user.id });
    this.log.info('registry account created', { account: a.user, userId: c.user.id });
    return a;
  }

  /** PUT /v1/repository/user: a new password for the caller's registry account. */
  async changePassword(c: Caller, password: string): Promise<void> {
    assertCan(c.role, 'repository.account.write');
    this.assertConfigured();
    const mine = this.store.registryAccounts.ofUser(c.user.id);
    if (!mine) throw notFound('your registry account (create it with POST /v1/repository/user)');
    await this.store.registryAccounts.setPasswordHash(mine.id, await hashPassword(password));
    this.log.info('registry account password changed', { account: mine.user, userId: c.user.id });
  }

  /** Whose rights an account carries: its owner's, while the owner exists and is approved. */
  private principalOf(a: RegistryAccountRecord): Principal | undefined {
    const owner = this.store.users.get(a.userId);
    if (!owner || owner.status !== 1) return undefined;
    const business = owner.businessId === null ? undefined : this.store.businesses.get(owner.businessId);
    return { role: roleOf(owner, business), businessId: owner.businessId };
  }

  private projectFacts(repository: string): ProjectFacts | undefined {
    const name = projectOf(repository);
    return name === undefined ? undefined : this.store.repoProjects.byName(name);
  }

  /** The access a principal gets for the requested scopes; scopes it gets nothing for are left out. */
  private grant(p: Principal, scopes: string[]): ResourceAccess[] {
    const out: ResourceAccess[] = [];
    for (const s of scopes) {
      const parsed = parseRepositoryScope(s);
      if (!parsed) continue;
      const actions = grantActions(p, this.projectFacts(parsed.name), parsed.actions);
      if (actions.length) out.push({ type: 'repository', name: parsed.name, actions });
    }
    return out;
  }

  /**
   * GET /v1/registry/token: authenticates a registry account with Basic credentials and signs a
   * short-lived token carrying only what grantActions allows for each requested scope.
   */
  async issue(r: TokenRequest): Promise<SignedRegistryToken & { access: ResourceAccess[] }> {
    this.assertConfigured();
    if (r.service !== undefined && r.service !== REGISTRY_SERVICE) throw invalid(`service must be ${REGISTRY_SERVICE}`);
    if (!r.credentials) throw new AppError(401, 'registry credentials are required (docker login)', BASIC_CHALLENGE);
    const { user, password } = r.credentials;
    this.throttle.check(user, r.ip);
    const account = this.store.registryAccounts.byName(user);
    const ok = await verifyPassword(password, account ? account.passwordHash : await DUMMY_HASH);
    if (!account || !ok) {
      this.throttle.fail(user, r.ip);
      this.log.info('registry login refused', { account: user, ip: r.ip });
      throw new AppError(401, 'wrong registry account or password', BASIC_CHALLENGE);
    }
    this.throttle.succeed(user, r.ip);
    const principal = this.principalOf(account);
    if (!principal) {
      this.log.info('registry login refused: owner gone or not approved', { account: account.user, userId: account.userId });
      throw new AppError(401, 'this registry account belongs to a user who may not use it', BASIC_CHALLENGE);
    }
    const access = this.grant(principal, r.scopes);
    const signed = await this.signer.sign(account.user, access, CLIENT_TOKEN_TTL_S);
    this.log.debug('registry token issued', { account: account.user, asked: r.scopes, granted: access.map((a) => `${a.name}:${a.actions.join(',')}`) });
    return { ...signed, access };
  }

}
