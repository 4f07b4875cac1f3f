import { forbidden } from '../errors.js';
import type { BusinessRecord, UserRecord } from '../store/types.js';

/** 0 pending, 1 approved without an approved business, 2 general user, 3 business admin, 4 system admin. */
export type Role = 0 | 1 | 2 | 3 | 4;

/** The role of a user, derived from their status and their business's status (never stored). */
export function roleOf(user: UserRecord, business: BusinessRecord | undefined): Role {
  if (user.isSystemAdmin) return 4;
  if (user.status !== 1) return 0;
  if (!business || business.status !== 1 || user.businessId !== business.id) return 1;
  return user.isAdmin ? 3 : 2;
}

/** Every action of the API and the roles that may take it: the one permission table. */
export const PERMISSIONS = {
  'session.use': [0, 1, 2, 3, 4],
  'user.changeOwnPassword': [1, 2, 3, 4],
  'admin.user.list': [3, 4],
  'admin.user.create': [3, 4],
  'admin.user.delete': [3, 4],
  'admin.user.resetPassword': [3, 4],
  'admin.user.audit': [4],
  'business.create': [1],
  'business.read': [1, 2, 3, 4],
  'business.audit': [4],
  'business.delete': [4],
  'cluster.read': [2, 3, 4],
  'cluster.label': [4],
  'cluster.token': [4],
  'node.read': [2, 3, 4],
  'node.label': [4],
  'node.delete': [4],
  'repository.project.read': [2, 3, 4],
  'repository.project.create': [3, 4],
  'repository.project.delete': [3, 4],
  'repository.image.read': [2, 3, 4],
  'repository.image.delete': [3, 4],
  'repository.account.write': [2, 3, 4],
  'repository.third.read': [2, 3],
  'repository.third.write': [3],
  'app.read': [2, 3, 4],
  'app.write': [2, 3],
  'deploy.create': [2, 3],
  'deploy.read': [2, 3, 4],
  'deploy.audit': [3, 4],
  'deploy.delete': [2, 3, 4],
  'alert.read': [2, 3, 4],
  'settings.write': [4],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof PERMISSIONS;

export function can(role: Role, action: Action): boolean {
  return (PERMISSIONS[action] as readonly Role[]).includes(role);
}

/** Throws 403 unless the role may take the action. */
export function assertCan(role: Role, action: Action): void {
  if (!can(role, action)) throw forbidden(`role ${role} may not do ${action}`);
}
