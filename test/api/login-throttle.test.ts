import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestHub, type TestHub } from '../helpers/hub.js';
import { PASSWORD, register } from '../helpers/roles.js';

let hub: TestHub;

beforeAll(async () => {
  hub = await makeTestHub();
  await register(hub, 'target', false);
  await register(hub, 'bystander', false);
});
afterAll(() => hub.cleanup());

const attempt = (user: string, password: string) => hub.call('POST', '/v1/authorization', { body: { user, password } });

describe('login throttle', () => {
  it('answers 429 with Retry-After after repeated failures, even to the right password, until the lock passes', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('target', 'Wrong1234')).status).toBe(401);
    const locked = await attempt('target', 'Wrong1234');
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual({ code: 429, message: expect.stringMatching(/too many failed logins/) });
    expect(locked.headers.get('retry-after')).toBe('30');
    expect((await attempt('TARGET', PASSWORD)).status).toBe(429);
    // Other users are not affected.
    expect((await attempt('bystander', PASSWORD)).status).toBe(200);

    hub.clock.advance(30_000);
    expect((await attempt('target', PASSWORD)).status).toBe(200);
    // The success cleared the record: the next failure is a plain 401 again.
    expect((await attempt('target', 'Wrong1234')).status).toBe(401);
  });

  it('throttles guesses at unknown user names as well', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('ghost', 'Wrong1234')).status).toBe(401);
    expect((await attempt('ghost', 'Wrong1234')).status).toBe(429);
  });
});
