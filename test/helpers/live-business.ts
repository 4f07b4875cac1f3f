import { HubClient } from './live-hub.js';

/** Logs `user` in on a live hub; throws with the hub's message when refused. */
export async function loginAs(baseUrl: string, user: string, password: string): Promise<HubClient> {
  const r = await fetch(`${baseUrl}/v1/authorization`, { method: 'POST', body: JSON.stringify({ user, password }) });
  const body = (await r.json()) as { token?: string; message: string };
  if (!body.token) throw new Error(`login ${user}: ${r.status} ${body.message}`);
  return Object.assign(Object.create(HubClient.prototype), { baseUrl, token: body.token }) as HubClient;
}

/** The answer's body; throws unless the hub answered 200. */
export async function ok(client: HubClient, method: string, path: string, body?: unknown) {
  const r = await client.call(method, path, body);
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.body.message}`);
  return r.body;
}

/**
 * Registers an administrator, has the system admin approve them and their business; returns the
 * business id (its namespace is `ns<id>`) and a session of its administrator.
 */
export async function businessWithAdmin(admin: HubClient, user: string, password: string): Promise<{ id: number; owner: HubClient }> {
  const reg = await ok(admin, 'POST', '/v1/user', { user, password, phone: '12345678', realName: user, isAdmin: true });
  await ok(admin, 'PUT', `/v1/admin/user/${reg.data.id}`, { status: 1 });
  const pending = await loginAs(admin.baseUrl, user, password);
  const biz = await ok(pending, 'POST', '/v1/business', { name: `biz-${user}`, introduce: 'cams', objective: 'watch', scale: 'small' });
  await ok(admin, 'PUT', `/v1/business/id/${biz.data.id}`, { status: 1, comment: 'ok' });
  return { id: biz.data.id as number, owner: await loginAs(admin.baseUrl, user, password) };
}
