import { conflict, forbidden, invalid, notFound, unauthorized } from '../errors.js';
import type { PageQuery, Store, UserRecord, UserStatus } from '../store/types.js';
import type { LoginThrottle } from './login-throttle.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import { assertCan, roleOf, type Role } from './permissions.js';
import type { TokenClaims, TokenService } from './tokens.js';

/** The authenticated user behind a request. */
export interface Caller {
  user: UserRecord;
  role: Role;
  claims: TokenClaims;
}

export interface NewUserInput {
  user: string;
  password: string;
  phone: string;
  realName: string;
  isAdmin: boolean;
}

/** The user as the API shows it: never the hash or the session epoch. */
export function publicUser(u: UserRecord) {
  return {
    id: u.id,
    user: u.user,
    status: u.status,
    realName: u.realName,
    phone: u.phone,
    isAdmin: u.isAdmin,
    businessId: u.businessId,
    createTime: u.createTime,
    updateTime: u.updateTime,
  };
}

/** Users, logins and sessions: the rules of User Management. */
export class UserService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
  ) {}

  roleOf(u: UserRecord): Role {
    return roleOf(u, u.businessId === null ? undefined : this.store.businesses.get(u.businessId));
  }

  async login(name: string, password: string, ip: string): Promise<string> {
    this.throttle.check(name, ip);
    const u = this.store.users.byName(name);
    const ok = await verifyPassword(password, u ? u.passwordHash : await DUMMY_HASH);
    if (!u || !ok) {
      this.throttle.fail(name, ip);
      throw unauthorized('wrong user name or password');
    }
    this.throttle.succeed(name, ip);
    this.assertMayLogIn(u);
    return this.tokens.issue(u.id, u.sessionEpoch);
  }

  private assertMayLogIn(u: UserRecord): void {
    if (u.status === 2) throw forbidden('your registration was not approved');
    if (u.status === 3) throw forbidden('your account is forbidden');
  }

  /** The caller behind a token: valid, unrevoked, of a user that still exists and may log in. */
  async authenticate(token: string): Promise<Caller> {
    const claims = await this.tokens.verify(token);
    const user = this.store.users.get(claims.userId);
    if (!user || user.sessionEpoch !== claims.epoch || user.status === 2 || user.status === 3) {
      throw unauthorized('token revoked; log in again');
    }
    return { user, role: this.roleOf(user), claims };
  }

  /** PUT /v1/authorization: a fresh token; the old one is revoked. */
  async refresh(c: Caller): Promise<string> {
    const token = await this.tokens.issue(c.user.id, c.user.sessionEpoch);
    await this.tokens.revoke(c.claims);
    return token;
  }

  logout(c: Caller): Promise<void> {
    return this.tokens.revoke(c.claims);
  }

  info(c: Caller, hasRepoAccount: boolean) {
    return { displayName: c.user.user, hasRepoAccount, role: c.role, ...this.store.settings() };
  }

  /** POST /v1/user: a pending user, who waits for the system admin's approval. */
  register(input: NewUserInput): Promise<UserRecord> {
    return this.create(input, 0, null);
  }

  private async create(input: NewUserInput, status: UserStatus, businessId: number | null): Promise<UserRecord> {
    if (this.store.users.byName(input.user)) throw conflict(`user ${input.user} already exists`);
    const passwordHash = await hashPassword(input.password);
    // Checked again: another request may have taken the name while the hash was computed.
    if (this.store.users.byName(input.user)) throw conflict(`user ${input.user} already exists`);
    return this.store.users.insert({
      user: input.user,
      passwordHash,
      phone: input.phone,
      realName: input.realName,
      isAdmin: input.isAdmin,
      isSystemAdmin: false,
      status,
      businessId,
      sessionEpoch: 0,
    });
  }

  /** Creates the bootstrap system administrator when absent; true when it was created. */
  async ensureSystemAdmin(name: string, password: string): Promise<boolean> {
    const existing = this.store.users.byName(name);
    if (existing) {
      if (!existing.isSystemAdmin) throw new Error(`user ${name} exists but is not the system administrator`);
      return false;
    }
    await this.store.users.insert({
      user: name,
      passwordHash: await hashPassword(password),
      phone: '',
      realName: 'System Administrator',
      isAdmin: true,
      isSystemAdmin: true,
      status: 1,
      businessId: null,
      sessionEpoch: 0,
    });
    return true;
  }

  /** POST /v1/admin/user: an approved user in the caller's business (or any, for the system admin). */
  createSubUser(c: Caller, input: NewUserInput & { businessId?: number }): Promise<UserRecord> {
    assertCan(c.role, 'admin.user.create');
    let businessId: number | null = c.user.businessId;
    if (c.role === 4) {
      businessId = input.businessId ?? null;
      if (businessId !== null && this.store.businesses.get(businessId)?.status !== 1) {
        throw invalid(`businessId ${businessId} is not an approved business`);
      }
    } else if (input.businessId !== undefined && input.businessId !== businessId) {
      throw forbidden('business administrators create users in their own business only');
    }
    return this.create(input, 1, businessId);
  }

  /** A user the caller may manage: the system admin sees all, a business admin their business. */
  private visible(c: Caller, id: number): UserRecord {
    const u = this.store.users.get(id);
    if (!u || (c.role !== 4 && (u.businessId === null || u.businessId !== c.user.businessId))) {
      throw notFound(`user ${id}`);
    }
    return u;
  }

  list(c: Caller, q: PageQuery & { orderBy: 'id' | 'user' }) {
    assertCan(c.role, 'admin.user.list');
    const businessId = c.role === 4 ? undefined : (c.user.businessId ?? -1);
    return this.store.users.list({ ...q, businessId });
  }

  async remove(c: Caller, id: number): Promise<void> {
    assertCan(c.role, 'admin.user.delete');
    const u = this.visible(c, id);
    if (u.isSystemAdmin) throw forbidden('the system administrator cannot be deleted');
    if (u.id === c.user.id) throw forbidden('you cannot delete your own account');
    await this.store.users.remove(id);
  }

  async resetPassword(c: Caller, id: number, password: string): Promise<void> {
    assertCan(c.role, 'admin.user.resetPassword');
    const u = this.visible(c, id);
    if (u.isSystemAdmin && c.role !== 4) throw forbidden("only the system administrator changes the system administrator's password");
    const passwordHash = await hashPassword(password);
    // Re-read: while the hash was computed the user may have been deleted or their sessions ended again.
    const current = this.store.users.get(id);
    if (!current) throw notFound(`user ${id}`);
    await this.store.users.update(id, { passwordHash, sessionEpoch: current.sessionEpoch + 1 });
  }

  async audit(c: Caller, id: number, status: UserStatus): Promise<UserRecord> {
    assertCan(c.role, 'admin.user.audit');
    const u = this.visible(c, id);
    if (u.isSystemAdmin) throw forbidden('the system administrator cannot be audited');
    // Not approving or forbidding ends every live session; a later approval does not revive them.
    const sessionEpoch = status === 2 || status === 3 ? u.sessionEpoch + 1 : u.sessionEpoch;
    return this.store.users.update(id, { status, sessionEpoch });
  }

  /** PUT /v1/user: the caller's own password; other sessions end, a fresh token is returned. */
  async changeOwnPassword(c: Caller, oldPassword: string, password: string, ip: string): Promise<string> {
    assertCan(c.role, 'user.changeOwnPassword');
    this.throttle.check(c.user.user, ip);
    if (!(await verifyPassword(oldPassword, c.user.passwordHash))) {
      this.throttle.fail(c.user.user, ip);
      throw invalid('oldPassword is not your current password');
    }
    if (oldPassword === password) throw invalid('the new password must differ from the old one');
    const passwordHash = await hashPassword(password);
    // The session may have ended (account deleted, forbidden, password reset) while hashing.
    const current = this.store.users.get(c.user.id);
    if (!current || current.sessionEpoch !== c.claims.epoch) throw unauthorized('your session ended; log in again');
    const u = await this.store.users.update(c.user.id, { passwordHash, sessionEpoch: current.sessionEpoch + 1 });
    return this.tokens.issue(u.id, u.sessionEpoch);
  }
}

