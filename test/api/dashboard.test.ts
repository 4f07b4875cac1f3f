import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;

beforeAll(async () => {
  hub = await makeTestHub();
});

afterAll(async () => {
  await hub.cleanup();
});

describe('GET / (the dashboard)', () => {
  it('serves the page with a self-only content security policy and the usual security headers', async () => {
    const res = await hub.app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBeTruthy();
  });

  it('loads only its own files: no inline script or style, nothing from another host (works offline)', async () => {
    const html = await (await hub.app.request('/')).text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !r.startsWith('/'))).toEqual([]);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle="/);
    for (const file of ['/dashboard/app.js', '/dashboard/style.css', '/dashboard/favicon.svg']) {
      const res = await hub.app.request(file);
      expect(res.status, file).toBe(200);
      const text = await res.text();
      expect(text, file).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
    const js = await (await hub.app.request('/dashboard/app.js')).text();
    expect(js).toContain("'/v1/authorization'");
    expect(js).toContain('/v1/events');
    expect(js).toContain('sessionStorage');
    expect(js).not.toMatch(/innerHTML|eval\(|new Function/);
  });

  it('answers 404 in the envelope for other files and path tricks', async () => {
    for (const path of ['/dashboard/index.html', '/dashboard/..%2F..%2Fpackage.json', '/dashboard/app.js.map', '/dashboard/', '/index.html']) {
      const r = await hub.call('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body).toEqual({ code: 404, message: expect.any(String) });
    }
  });

  it('holds no data itself: the API behind it refuses a visitor without a token', async () => {
    for (const path of ['/v1/node', '/v1/cluster', '/v1/deploy', '/v1/alert', '/v1/events']) {
      expect((await hub.call('GET', path)).status, path).toBe(401);
    }
  });
});
