import { z } from 'zod';

const flag = (name: string) => z.boolean(`${name} must be true or false`).optional();

/**
 * PUT /v1/admin/settings: any of the hub settings that GET /v1/authorization reports, at least one.
 * An unknown key is refused (a typo must not look like a change that took effect).
 */
export const settingsBody = z
  .strictObject({
    privateProject: flag('privateProject'),
    enableIngress: flag('enableIngress'),
    enableAlert: flag('enableAlert'),
    enableAdminAutoDeploy: flag('enableAdminAutoDeploy'),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'name at least one of privateProject, enableIngress, enableAlert, enableAdminAutoDeploy');
