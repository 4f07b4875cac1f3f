import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../hub/src/errors.js';
import { MANIFEST_ACCEPT, MEDIA, RegistryClient } from '../../hub/src/registry/client.js';
import { generateSigningKey } from '../../hub/src/registry/keys.js';
import { RegistryTokenSigner } from '../../hub/src/registry/token-signer.js';
import { FakeRegistry } from '../helpers/fake-registry.js';

const key = generateSigningKey();
const signer = new RegistryTokenSigner(key, { now: Date.now });
const authorize = async (access: Parameters<RegistryTokenSigner['sign']>[1]) => (await signer.sign('vsm-hub', access, 60)).token;

let reg: FakeRegistry;
let client: RegistryClient;
beforeAll(async () => {
  reg = await new FakeRegistry({ key, order: 'component', catalogPage: 2 }).start();
  client = new RegistryClient({ baseUrl: reg.url, authorize });
});
afterAll(() => reg.stop());
afterEach(() => {
  reg.seen.length = 0;
  reg.repos.clear();
  reg.omitDigestHeader = false;
  reg.deleteDisabled = false;
});

const expect503 = async (p: Promise<unknown>, message: RegExp) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).status).toBe(503);
  expect((e as AppError).message).toMatch(message);
};

describe('catalog', () => {
  it('follows Link pages and keeps only the project, asking with registry:catalog:*', async () => {
    for (const n of ['alpha/a', 'proj/a', 'proj/b', 'proj/c/d', 'proj-x/a', 'proj.y/a', 'proj0/a', 'zeta/z']) reg.push(n, 'v1', '2026-01-01T00:00:00Z');
    expect(await client.catalog('proj')).toEqual(['proj/a', 'proj/b', 'proj/c/d']);
    const calls = reg.seen.filter((s) => s.path.startsWith('/v2/_catalog'));
    expect(calls[0]!.path).toBe('/v2/_catalog?n=1000&last=proj');
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) expect(c.access).toEqual([{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    // Stopped once past the project's block: zeta's page was never asked for.
    expect(calls.some((c) => c.path.includes('last=proj0'))).toBe(false);
  });

  it('finds the project under plain string order too', async () => {
    const plain = await new FakeRegistry({ key, order: 'plain', catalogPage: 1 }).start();
    try {
      for (const n of ['proj-x/a', 'proj.y/a', 'proj/a', 'proj/b', 'proj0/a']) plain.push(n, 'v1', '2026-01-01T00:00:00Z');
      const c = new RegistryClient({ baseUrl: plain.url, authorize });
      expect(await c.catalog('proj')).toEqual(['proj/a', 'proj/b']);
      expect(await c.catalog()).toEqual(['proj-x/a', 'proj.y/a', 'proj/a', 'proj/b', 'proj0/a']);
    } finally {
      await plain.stop();
    }
  });
});

describe('tags and manifests', () => {
  it('lists tags with a pull token; an unknown repository has none', async () => {
    reg.push('p/img', 'v2', '2026-01-01T00:00:00Z');
    reg.push('p/img', 'v1', '2026-01-01T00:00:00Z', MEDIA.dockerManifest, 'other');
    expect(await client.tags('p/img')).toEqual(['v1', 'v2']);
    expect(await client.tags('p/none')).toEqual([]);
    expect(reg.seen[0]!.access).toEqual([{ type: 'repository', name: 'p/img', actions: ['pull'] }]);
  });

  it.each([MEDIA.dockerManifest, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.ociIndex])('resolves the digest of a %s with every Accept type', async (mediaType) => {
    const child = reg.push('p/img', '', '2026-01-01T00:00:00Z');
    const digest = mediaType.includes('list') || mediaType.includes('index')
      ? reg.pushIndex('p/img', 't', [{ digest: child, os: 'linux', architecture: 'amd64' }], mediaType)
      : reg.push('p/img', 't', '2026-01-01T00:00:00Z', mediaType);
    expect(await client.digest('p/img', 't')).toBe(digest);
    const head = reg.seen.find((s) => s.method === 'HEAD')!;
    expect(head.accept).toBe(MANIFEST_ACCEPT);
    for (const t of Object.values(MEDIA)) expect(head.accept).toContain(t);
  });

  it('computes the digest from the bytes when the registry sends no Docker-Content-Digest', async () => {
    const digest = reg.push('p/img', 't', '2026-01-01T00:00:00Z');
    reg.omitDigestHeader = true;
    expect(await client.digest('p/img', 't')).toBe(digest);
    expect(reg.seen.map((s) => s.method)).toEqual(['HEAD', 'GET']);
  });

  it('answers undefined for a missing tag', async () => {
    reg.push('p/img', 't', '2026-01-01T00:00:00Z');
    expect(await client.digest('p/img', 'nope')).toBeUndefined();
    expect(await client.manifest('p/img', 'nope')).toBeUndefined();
  });

  it('reads the creation time from the config blob, through an index to the linux/amd64 image, and caches it', async () => {
    const arm = reg.push('p/img', '', '2020-01-01T00:00:00Z', MEDIA.ociManifest, 'arm');
    const amd = reg.push('p/img', '', '2026-03-04T05:06:07Z', MEDIA.ociManifest, 'amd');
    const index = reg.pushIndex('p/img', 'multi', [
      { digest: arm, os: 'linux', architecture: 'arm64' },
      { digest: amd, os: 'linux', architecture: 'amd64' },
    ]);
    expect(await client.createdTime('p/img', index)).toBe(Date.UTC(2026, 2, 4, 5, 6, 7) / 1000);
    const n = reg.seen.length;
    expect(await client.createdTime('p/img', index)).toBe(Date.UTC(2026, 2, 4, 5, 6, 7) / 1000);
    expect(reg.seen.length).toBe(n);
  });

  it('deletes by digest with a delete token, and puts manifests back with a push token', async () => {
    const d = reg.push('p/img', 'v1', '2026-01-01T00:00:00Z');
    const m = (await client.manifest('p/img', d))!;
    expect(await client.deleteManifest('p/img', d)).toBe(true);
    expect(reg.seen.at(-1)!.access).toEqual([{ type: 'repository', name: 'p/img', actions: ['delete'] }]);
    expect(await client.deleteManifest('p/img', d)).toBe(false);
    await client.putManifest('p/img', 'v9', m);
    expect(reg.tagsOf('p/img')).toEqual(['v9']);
    expect(await client.digest('p/img', 'v9')).toBe(d);
  });
});

describe('failures are 503 with a message', () => {
  it('a registry that forbids deletes', async () => {
    const d = reg.push('p/img', 'v1', '2026-01-01T00:00:00Z');
    reg.deleteDisabled = true;
    await expect503(client.deleteManifest('p/img', d), /storage\.delete\.enabled/);
  });

  it('a registry that does not trust the hub key', async () => {
    const c = new RegistryClient({ baseUrl: reg.url, authorize: async (a) => (await new RegistryTokenSigner(generateSigningKey(), { now: Date.now }).sign('x', a, 60)).token });
    await expect503(c.tags('p/img'), /refused the hub's token.*registry-token\.crt/);
  });

  it('a registry that is down', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const t0 = Date.now();
    await expect503(new RegistryClient({ baseUrl: `http://127.0.0.1:${port}`, authorize }).catalog(), /unreachable \(ECONNREFUSED\)/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a registry that accepts connections but never answers', async () => {
    const sockets: import('node:net').Socket[] = [];
    const srv: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const t0 = Date.now();
      await expect503(new RegistryClient({ baseUrl: `http://127.0.0.1:${port}`, authorize, timeoutMs: 300 }).tags('p/img'), /no answer within 300 ms/);
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      for (const s of sockets) s.destroy();
      srv.close();
    }
  });
});
