import { describe, expect, it } from 'vitest';
import { AppError } from '../../hub/src/errors.js';
import { assertCan, can, PERMISSIONS, roleOf, type Action, type Role } from '../../hub/src/services/permissions.js';
import type { BusinessRecord, BusinessStatus, UserRecord, UserStatus } from '../../hub/src/store/types.js';

const user = (o: Partial<UserRecord>): UserRecord => ({
  id: 7,
  user: 'u',
  passwordHash: 'x',
  phone: '1234',
  realName: 'U',
  isAdmin: false,
  isSystemAdmin: false,
  status: 1,
  businessId: 3,
  sessionEpoch: 0,
  createTime: 0,
  updateTime: 0,
  ...o,
});

const business = (status: BusinessStatus, id = 3): BusinessRecord => ({
  id,
  name: 'b',
  userId: 7,
  introduce: '',
  objective: '',
  scale: '',
  comment: '',
  status,
  createTime: 0,
  updateTime: 0,
});

describe('roleOf', () => {
  it('is 4 for the system admin whatever the status or business', () => {
    for (const status of [0, 1, 2, 3] as UserStatus[]) {
      expect(roleOf(user({ isSystemAdmin: true, isAdmin: true, status, businessId: null }), undefined)).toBe(4);
      expect(roleOf(user({ isSystemAdmin: true, status }), business(1))).toBe(4);
    }
  });

  it('is 0 for every user whose status is not approved, even in an approved business', () => {
    for (const status of [0, 2, 3] as UserStatus[]) {
      for (const isAdmin of [false, true]) {
        expect(roleOf(user({ status, isAdmin }), business(1))).toBe(0);
        expect(roleOf(user({ status, isAdmin, businessId: null }), undefined)).toBe(0);
      }
    }
  });

  it('is 1 for an approved user without an approved business of their own', () => {
    for (const isAdmin of [false, true]) {
      expect(roleOf(user({ isAdmin, businessId: null }), undefined)).toBe(1);
      for (const s of [0, 2, 3] as BusinessStatus[]) expect(roleOf(user({ isAdmin }), business(s))).toBe(1);
      // A business that is not the user's does not count.
      expect(roleOf(user({ isAdmin, businessId: 4 }), business(1, 3))).toBe(1);
    }
  });

  it('is 2 for a general member and 3 for an administrator of an approved business', () => {
    expect(roleOf(user({ isAdmin: false }), business(1))).toBe(2);
    expect(roleOf(user({ isAdmin: true }), business(1))).toBe(3);
  });
});

/** The table as the API notes state it; a change to PERMISSIONS must be a change here too. */
const EXPECTED: Record<string, Role[]> = {
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
};

describe('PERMISSIONS', () => {
  it.each(Object.entries(EXPECTED))('%s is allowed to roles %j', (action, roles) => {
    expect([...PERMISSIONS[action as Action]]).toEqual(roles);
    for (const role of [0, 1, 2, 3, 4] as Role[]) {
      expect(can(role, action as Action)).toBe(roles.includes(role));
    }
  });

  it('only the system admin audits users and businesses', () => {
    for (const role of [0, 1, 2, 3] as Role[]) {
      expect(can(role, 'admin.user.audit')).toBe(false);
      expect(can(role, 'business.audit')).toBe(false);
      expect(can(role, 'business.delete')).toBe(false);
    }
  });

  it('assertCan throws a 403 AppError naming the action, and passes silently when allowed', () => {
    expect(() => assertCan(4, 'business.audit')).not.toThrow();
    let err: unknown;
    try {
      assertCan(2, 'business.audit');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(403);
    expect((err as AppError).message).toContain('business.audit');
  });
});
