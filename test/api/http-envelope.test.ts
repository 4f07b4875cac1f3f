import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../hub/src/app.js';
import { ADMIN_PASSWORD, ADMIN_USER, makeTestHub, type TestHub } from '../helpers/hub.js';
import { approvedAdmin } from '../helpers/roles.js';

let hub: TestHub;
let token: string;
/** An approved administrator without a business: the role that may create one. */
let freeToken: string;

beforeAll(async () => {
  hub = await makeTestHub();
  token = await hub.login(ADMIN_USER, ADMIN_PASSWORD);
  freeToken = (await approvedAdmin(hub, token, 'envelope-free')).token;
});
afterAll(() => hub.cleanup());

describe('the envelope', () => {
  it('answers unknown paths and methods with a 404 envelope', async () => {
    for (const [method, path] of [
      ['POST', '/'], // GET / is the dashboard
      ['GET', '/v1/nope'],
      ['POST', '/v1/business/id/1'],
      ['PATCH', '/v1/user'],
      ['GET', '/v1/admin/user/1/password/extra'],
    ] as const) {
      const r = await hub.call(method, path, { token });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body).toEqual({ code: 404, message: expect.stringContaining(path) });
    }
  });

  it('sets a request id and no-sniff headers, and the HTTP status equals code', async () => {
    const r = await hub.call('GET', '/v1/authorization', { token });
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(r.body.code).toBe(r.status);
  });
});

describe('body size', () => {
  it('answers 413 to a body over 1 MiB, streamed without a length', async () => {
    const rawBody = JSON.stringify({ user: 'x', password: 'y', pad: 'z'.repeat(MAX_BODY_BYTES) });
    const r = await hub.call('POST', '/v1/user', { rawBody });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ code: 413, message: `body must be at most ${MAX_BODY_BYTES} bytes` });
  });

  it('answers 413 at once when Content-Length announces too much', async () => {
    const r = await hub.call('POST', '/v1/authorization', {
      rawBody: 'x'.repeat(MAX_BODY_BYTES + 1),
      headers: { 'content-length': String(MAX_BODY_BYTES + 1) },
    });
    expect(r.status).toBe(413);
  });

  it('reads a body of exactly 1 MiB (and then judges its content)', async () => {
    const head = '{"user":"admin","password":"';
    const rawBody = head + 'p'.repeat(MAX_BODY_BYTES - head.length - 2) + '"}';
    expect(Buffer.byteLength(rawBody)).toBe(MAX_BODY_BYTES);
    const r = await hub.call('POST', '/v1/authorization', { rawBody });
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(/password must be at most 128 characters/);
  });
});

describe('malformed input never becomes a 500', () => {
  const bodies = ['', ' ', 'null', '"text"', '42', '[]', '{', '{"a":}', '\u0000', 'true', '{"__proto__":{"x":1}}'];
  const routes: [string, string][] = [
    ['POST', '/v1/authorization'],
    ['POST', '/v1/user'],
    ['PUT', '/v1/user'],
    ['POST', '/v1/admin/user'],
    ['PUT', '/v1/admin/user/1'],
    ['PUT', '/v1/admin/user/1/password'],
    ['POST', '/v1/business'],
    ['PUT', '/v1/business/id/1'],
  ];
  it.each(routes)('%s %s answers 422 to every malformed body', async (method, path) => {
    // Permissions are checked before the body: each route is called by a role that may use it.
    const caller = method === 'POST' && path === '/v1/business' ? freeToken : token;
    for (const rawBody of bodies) {
      const r = await hub.call(method, path, { token: caller, rawBody });
      expect(r.status, JSON.stringify(rawBody)).toBe(422);
      expect(r.body.code).toBe(422);
      expect(r.body.message).not.toMatch(/at .*\.ts:\d+/);
    }
  });

  it('rejects query values it cannot use, rather than guessing', async () => {
    for (const q of ['page=x&page=1', 'pageSize=%00', 'order=ASC', 'page=99999999999999999999']) {
      const r = await hub.call('GET', `/v1/admin/user?${q}`, { token });
      expect(r.status, q).toBe(422);
    }
  });
});
