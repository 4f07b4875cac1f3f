import { z } from 'zod';
import { alertListQuery, appGetQuery, appListQuery, appNameParam, createAppBody, deployAuditBody, deployBody, deployListQuery, logQuery } from '../schemas/apps.js';
import { auditBusinessBody, businessListQuery, createBusinessBody } from '../schemas/business.js';
import { idParam } from '../schemas/common.js';
import { clusterLabelBody, clusterLabelsQuery, clusterListQuery, fleetName, joinTokenBody, nodeDeleteQuery, nodeLabelBody, nodeLabelDeleteBody, nodeLabelsQuery, nodeListQuery } from '../schemas/fleet.js';
import {
  accountPasswordBody,
  createAccountBody,
  createProjectBody,
  deleteExternalRepoBody,
  deleteImageBody,
  deleteProjectBody,
  deleteTagBody,
  externalRepoBody,
  externalRepoListQuery,
  imageListQuery,
  projectListQuery,
  registryTokenQuery,
  repositoryId,
  tagListQuery,
} from '../schemas/repository.js';
import { settingsBody } from '../schemas/settings.js';
import { auditUserBody, changePasswordBody, loginBody, registerBody, resetPasswordBody, subUserBody, userListQuery } from '../schemas/users.js';
import type { Action } from '../services/permissions.js';
import { eventsQuery } from './events.js';

export type Method = 'get' | 'post' | 'put' | 'delete';

/** One endpoint as the OpenAPI document describes it; the schemas are the ones the routes validate with. */
export interface RouteDoc {
  method: Method;
  /** The Hono pattern, e.g. /v1/deploy/:id. */
  path: string;
  tag: string;
  summary: string;
  /** token: Authorization header; stream: header or ?token=; basic: registry account; none: public. */
  auth: 'token' | 'stream' | 'basic' | 'none';
  /** The permission the route checks (its roles go into the description and decide on a 403). */
  action?: Action;
  body?: [name: string, schema: z.ZodType];
  query?: z.ZodObject;
  params?: Record<string, z.ZodType>;
  /** Error statuses beyond those the auth, action and inputs imply. */
  errors?: number[];
  /** Not a JSON endpoint: the media type of a 200. */
  produces?: 'text/event-stream' | 'text/plain' | 'text/html';
  /** Ours, not in the API document (CONTRACT.md, API-NOTES.md). */
  extension?: boolean;
  /** Another path the document's examples use for the same operation. */
  aliasOf?: string;
  description?: string;
  /** Served, but not an API operation (static files of the dashboard and of Swagger UI). */
  hidden?: boolean;
}

const userId = { userId: idParam('userId') };
const bizId = { id: idParam('id') };
const deployId = { id: idParam('id') };

/** Every route of the hub, kept beside the routes; a test checks it against app.routes. */
export const ROUTES: RouteDoc[] = [
  // Authorization
  { method: 'post', path: '/v1/authorization', tag: 'Authorization', summary: 'Log in: a token for user and password', auth: 'none', body: ['Login', loginBody], errors: [401, 403, 429] },
  { method: 'put', path: '/v1/authorization', tag: 'Authorization', summary: 'Refresh: a new token, the old one revoked', auth: 'token', action: 'session.use' },
  { method: 'delete', path: '/v1/authorization', tag: 'Authorization', summary: 'Log out (revoke the token)', auth: 'token' },
  { method: 'delete', path: '/v1/authorizations', tag: 'Authorization', summary: 'Log out (the path of the document\'s example)', auth: 'token', aliasOf: '/v1/authorization' },
  { method: 'get', path: '/v1/authorization', tag: 'Authorization', summary: 'Who am I: role and hub settings', auth: 'token', action: 'session.use' },
  // Users
  { method: 'post', path: '/v1/user', tag: 'Users', summary: 'Register (pending until approved)', auth: 'none', body: ['Register', registerBody], errors: [409] },
  { method: 'put', path: '/v1/user', tag: 'Users', summary: 'Change my password', auth: 'token', action: 'user.changeOwnPassword', body: ['ChangePassword', changePasswordBody], errors: [429] },
  { method: 'get', path: '/v1/admin/user', tag: 'Users', summary: 'List users', auth: 'token', action: 'admin.user.list', query: userListQuery },
  { method: 'post', path: '/v1/admin/user', tag: 'Users', summary: 'Create an approved user in my business', auth: 'token', action: 'admin.user.create', body: ['CreateSubUser', subUserBody], errors: [404, 409] },
  { method: 'delete', path: '/v1/admin/user/:userId', tag: 'Users', summary: 'Delete a user', auth: 'token', action: 'admin.user.delete', params: userId, errors: [404] },
  { method: 'put', path: '/v1/admin/user/:userId/password', tag: 'Users', summary: "Reset a user's password", auth: 'token', action: 'admin.user.resetPassword', params: userId, body: ['ResetPassword', resetPasswordBody], errors: [404] },
  { method: 'put', path: '/v1/admin/user/:userId', tag: 'Users', summary: 'Audit a user (status)', auth: 'token', action: 'admin.user.audit', params: userId, body: ['AuditUser', auditUserBody], errors: [404] },
  // Businesses
  { method: 'get', path: '/v1/admin/settings', tag: 'Settings', summary: 'The hub settings', auth: 'token', action: 'settings.write', extension: true },
  {
    method: 'put',
    path: '/v1/admin/settings',
    tag: 'Settings',
    summary: 'Change hub settings',
    auth: 'token',
    action: 'settings.write',
    body: ['Settings', settingsBody],
    extension: true,
    description: 'Any of privateProject, enableIngress, enableAlert, enableAdminAutoDeploy (booleans); answers all the settings. enableIngress is kept and reported only: the hub has no ingress.',
  },
  { method: 'post', path: '/v1/business', tag: 'Businesses', summary: 'Request a business namespace', auth: 'token', action: 'business.create', body: ['CreateBusiness', createBusinessBody], errors: [409] },
  { method: 'get', path: '/v1/business', tag: 'Businesses', summary: 'List businesses', auth: 'token', action: 'business.read', query: businessListQuery },
  { method: 'get', path: '/v1/business/id/:id', tag: 'Businesses', summary: 'One business', auth: 'token', action: 'business.read', params: bizId, errors: [404] },
  { method: 'put', path: '/v1/business/id/:id', tag: 'Businesses', summary: 'Audit a business (approve or disapprove)', auth: 'token', action: 'business.audit', params: bizId, body: ['AuditBusiness', auditBusinessBody], errors: [404, 409] },
  { method: 'delete', path: '/v1/business/id/:id', tag: 'Businesses', summary: 'Delete a business and its namespace everywhere', auth: 'token', action: 'business.delete', params: bizId, errors: [404], extension: true },
  // Clusters
  { method: 'get', path: '/v1/cluster', tag: 'Clusters', summary: 'List clusters with readiness', auth: 'token', action: 'cluster.read', query: clusterListQuery },
  { method: 'post', path: '/v1/cluster/label', tag: 'Clusters', summary: 'Label clusters', auth: 'token', action: 'cluster.label', body: ['ClusterLabel', clusterLabelBody], errors: [404] },
  { method: 'delete', path: '/v1/cluster/label', tag: 'Clusters', summary: 'Remove a label from clusters', auth: 'token', action: 'cluster.label', body: ['ClusterLabel', clusterLabelBody], errors: [404] },
  { method: 'get', path: '/v1/cluster/label', tag: 'Clusters', summary: 'Every cluster label', auth: 'token', action: 'cluster.read' },
  { method: 'get', path: '/v1/cluster/label/:clusterName', tag: 'Clusters', summary: "A cluster's labels", auth: 'token', action: 'cluster.read', params: { clusterName: fleetName('clusterName') }, query: clusterLabelsQuery, errors: [404] },
  { method: 'post', path: '/v1/cluster/token', tag: 'Clusters', summary: 'A join token for agents of a cluster', auth: 'token', action: 'cluster.token', body: ['JoinToken', joinTokenBody], extension: true },
  // Nodes
  { method: 'get', path: '/v1/node', tag: 'Nodes', summary: 'List nodes with facts, labels and live readiness', auth: 'token', action: 'node.read', query: nodeListQuery },
  { method: 'post', path: '/v1/node/label', tag: 'Nodes', summary: 'Label nodes', auth: 'token', action: 'node.label', body: ['NodeLabel', nodeLabelBody], errors: [404] },
  { method: 'delete', path: '/v1/node/label', tag: 'Nodes', summary: 'Remove a label from nodes (optionally their deployments)', auth: 'token', action: 'node.label', body: ['NodeLabelDelete', nodeLabelDeleteBody], errors: [404] },
  { method: 'get', path: '/v1/node/label', tag: 'Nodes', summary: 'Every node label', auth: 'token', action: 'node.read', query: nodeLabelsQuery },
  { method: 'delete', path: '/v1/node/:nodeName', tag: 'Nodes', summary: 'Forget a decommissioned node', auth: 'token', action: 'node.delete', params: { nodeName: fleetName('nodeName') }, query: nodeDeleteQuery, errors: [404], extension: true },
  // Applications
  { method: 'post', path: '/v1/app', tag: 'Applications', summary: 'Create an app or add a version', auth: 'token', action: 'app.write', body: ['CreateApp', createAppBody], errors: [409] },
  { method: 'get', path: '/v1/app', tag: 'Applications', summary: 'List apps', auth: 'token', action: 'app.read', query: appListQuery, extension: true },
  { method: 'get', path: '/v1/app/:appName', tag: 'Applications', summary: 'One app with its versions', auth: 'token', action: 'app.read', params: { appName: appNameParam }, query: appGetQuery, errors: [404], extension: true },
  { method: 'delete', path: '/v1/app/:appName', tag: 'Applications', summary: 'Delete an app (409 while deployed)', auth: 'token', action: 'app.write', params: { appName: appNameParam }, errors: [404, 409], extension: true },
  { method: 'post', path: '/v1/deploy', tag: 'Applications', summary: 'Deploy or upgrade an app version to clusters', auth: 'token', action: 'deploy.create', body: ['Deploy', deployBody], errors: [404], extension: true },
  { method: 'get', path: '/v1/deploy', tag: 'Applications', summary: 'Deployments with their instances', auth: 'token', action: 'deploy.read', query: deployListQuery, extension: true },
  { method: 'get', path: '/v1/deploy/:id', tag: 'Applications', summary: 'One deployment with its instances', auth: 'token', action: 'deploy.read', params: deployId, errors: [404], extension: true },
  { method: 'put', path: '/v1/deploy/:id', tag: 'Applications', summary: 'Audit a deployment', auth: 'token', action: 'deploy.audit', params: deployId, body: ['DeployAudit', deployAuditBody], errors: [404, 409], extension: true },
  { method: 'delete', path: '/v1/deploy/:id', tag: 'Applications', summary: 'Remove a deployment from every node', auth: 'token', action: 'deploy.delete', params: deployId, errors: [404], extension: true },
  { method: 'get', path: '/v1/deploy/:id/log', tag: 'Applications', summary: "An instance's recent log lines", auth: 'token', action: 'deploy.read', params: deployId, query: logQuery, errors: [404, 503], extension: true },
  { method: 'get', path: '/v1/alert', tag: 'Applications', summary: 'Alerts: node not ready, CPU or memory above 80% for 30 s', auth: 'token', action: 'alert.read', query: alertListQuery, extension: true },
  // Repositories
  { method: 'get', path: '/v1/repository/project', tag: 'Repositories', summary: 'List projects', auth: 'token', action: 'repository.project.read', query: projectListQuery, errors: [503] },
  { method: 'post', path: '/v1/repository/project', tag: 'Repositories', summary: 'Create a project', auth: 'token', action: 'repository.project.create', body: ['CreateProject', createProjectBody], errors: [409, 503] },
  { method: 'delete', path: '/v1/repository/project', tag: 'Repositories', summary: 'Delete projects', auth: 'token', action: 'repository.project.delete', body: ['DeleteProjects', deleteProjectBody], errors: [404, 409, 503] },
  { method: 'get', path: '/v1/repository/image', tag: 'Repositories', summary: 'List images', auth: 'token', action: 'repository.image.read', query: imageListQuery, errors: [503] },
  { method: 'delete', path: '/v1/repository/image', tag: 'Repositories', summary: 'Delete images', auth: 'token', action: 'repository.image.delete', body: ['DeleteImages', deleteImageBody], errors: [404, 503] },
  { method: 'get', path: '/v1/repository/image/tag', tag: 'Repositories', summary: "An image's tags", auth: 'token', action: 'repository.image.read', query: tagListQuery, errors: [404, 503] },
  { method: 'delete', path: '/v1/repository/image/tag', tag: 'Repositories', summary: 'Delete tags', auth: 'token', action: 'repository.image.delete', body: ['DeleteTags', deleteTagBody], errors: [404, 503] },
  { method: 'post', path: '/v1/repository/user', tag: 'Repositories', summary: 'Create my registry account', auth: 'token', action: 'repository.account.write', body: ['CreateRegistryAccount', createAccountBody], errors: [409, 503] },
  { method: 'put', path: '/v1/repository/user', tag: 'Repositories', summary: "Change my registry account's password", auth: 'token', action: 'repository.account.write', body: ['RegistryAccountPassword', accountPasswordBody], errors: [404, 503] },
  { method: 'post', path: '/v1/repository/third', tag: 'Repositories', summary: 'Add an external repository', auth: 'token', action: 'repository.third.write', body: ['ExternalRepository', externalRepoBody], errors: [409] },
  { method: 'post', path: '/v1/repository', tag: 'Repositories', summary: "Add an external repository (the document's example path)", auth: 'token', action: 'repository.third.write', body: ['ExternalRepository', externalRepoBody], errors: [409], aliasOf: '/v1/repository/third' },
  { method: 'delete', path: '/v1/repository/third', tag: 'Repositories', summary: 'Delete external repositories', auth: 'token', action: 'repository.third.write', body: ['DeleteExternalRepositories', deleteExternalRepoBody], errors: [404] },
  { method: 'delete', path: '/v1/repository', tag: 'Repositories', summary: "Delete external repositories (the document's example path)", auth: 'token', action: 'repository.third.write', body: ['DeleteExternalRepositories', deleteExternalRepoBody], errors: [404], aliasOf: '/v1/repository/third' },
  { method: 'get', path: '/v1/repository/third', tag: 'Repositories', summary: 'List external repositories', auth: 'token', action: 'repository.third.read', query: externalRepoListQuery },
  { method: 'get', path: '/v1/repository/third/:repoId', tag: 'Repositories', summary: 'One external repository (never its password)', auth: 'token', action: 'repository.third.read', params: { repoId: repositoryId }, errors: [404] },
  {
    method: 'get',
    path: '/v1/registry/token',
    tag: 'Repositories',
    summary: "The registry's token service (Docker clients)",
    auth: 'basic',
    query: registryTokenQuery.extend({ scope: z.string().max(1000).optional() }),
    errors: [401, 503],
    extension: true,
    description: 'Answers the envelope plus the Docker token fields `token`, `access_token`, `expires_in`, `issued_at`. `scope` may repeat.',
  },
  // Observing the fleet (ours)
  {
    method: 'get',
    path: '/v1/events',
    tag: 'Observability',
    summary: 'Server-sent fleet events, filtered per caller, resumable',
    auth: 'stream',
    query: eventsQuery,
    errors: [503],
    produces: 'text/event-stream',
    extension: true,
    description: [
      'A `text/event-stream`. Each event has `event:` = its kind and `data:` = one JSON object (see the FleetEvent schema); stored events have an `id:`.',
      'Kinds: `node.ready`, `cluster.ready`, `node.facts`, `node.joined`, `node.deleted`, `alert` (roles 2-4), `instance.state` (the deployment\'s business and the system admin),',
      '`node.load` (a snapshot of every node\'s heartbeat age and load every 5 s, no id), `hello` (first event of a fresh stream; its id is the latest event id),',
      '`resync` (events after the given Last-Event-ID are gone: reload the state), `end` (the token was revoked or expired: the stream closes).',
      'Resume with the `Last-Event-ID` header (EventSource sends it on reconnect) or `?lastEventId=`. A comment line every 15 s keeps the stream open.',
      'Authentication: the `Authorization` header, or `?token=` because EventSource cannot send headers (accepted on this endpoint only, never logged).',
    ].join(' '),
  },
  { method: 'get', path: '/metrics', tag: 'Observability', summary: 'Prometheus metrics (text format 0.0.4)', auth: 'none', produces: 'text/plain', extension: true },
  { method: 'get', path: '/v1/openapi.json', tag: 'Observability', summary: 'This OpenAPI 3.1 document', auth: 'none', extension: true },
  { method: 'get', path: '/', tag: 'Observability', summary: 'The fleet dashboard (HTML)', auth: 'none', produces: 'text/html', extension: true },
  { method: 'get', path: '/docs', tag: 'Observability', summary: 'Swagger UI on this document (HTML)', auth: 'none', produces: 'text/html', extension: true },
  // Static files of the two pages.
  { method: 'get', path: '/docs/', tag: 'Observability', summary: 'Swagger UI', auth: 'none', hidden: true },
  { method: 'get', path: '/docs/init.js', tag: 'Observability', summary: 'Swagger UI start script', auth: 'none', hidden: true },
  { method: 'get', path: '/docs/:file', tag: 'Observability', summary: 'Swagger UI files', auth: 'none', hidden: true },
  { method: 'get', path: '/favicon.ico', tag: 'Observability', summary: 'Icon', auth: 'none', hidden: true },
  { method: 'get', path: '/dashboard/:file', tag: 'Observability', summary: 'Dashboard files', auth: 'none', hidden: true },
];
