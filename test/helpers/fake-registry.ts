import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { MEDIA } from '../../hub/src/registry/client.js';
import { REGISTRY_ISSUER, REGISTRY_SERVICE } from '../../hub/src/registry/token-signer.js';

/** One request as the fake registry saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  accept: string;
  /** The `access` claim of the bearer token, when it verified. */
  access?: { type: string; name: string; actions: string[] }[];
}

export interface FakeRegistryOptions {
  /** Verify bearer tokens with this key (the hub's signing key) and require the right scope; else accept anything. */
  key?: KeyObject;
  /** The time tokens are checked against (ms). */
  now?: () => number;
  /** `component`: '/' sorts before every other character (distribution 2.x); `plain`: string order. */
  order?: 'plain' | 'component';
  /** Catalog page size when the client asks for more. */
  catalogPage?: number;
}

interface Repo {
  manifests: Map<string, { mediaType: string; bytes: Buffer }>;
  tags: Map<string, string>;
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An in-memory Distribution v2 registry: catalog, tags, manifests (HEAD/GET/PUT/DELETE), blobs. */
export class FakeRegistry {
  readonly seen: SeenRequest[] = [];
  readonly repos = new Map<string, Repo>();
  readonly blobs = new Map<string, Buffer>();
  /** Answer manifests without Docker-Content-Digest. */
  omitDigestHeader = false;
  /** Answer 405 to DELETE, as with storage.delete.enabled: false. */
  deleteDisabled = false;
  /** Verify bearer tokens with this key (the hub's) and require the right scope; unset: accept anything. */
  key?: KeyObject;
  /** The time tokens are checked against (ms). */
  now: () => number;
  private server?: Server;
  url = '';

  constructor(private readonly o: FakeRegistryOptions = {}) {
    this.key = o.key;
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private repo(name: string): Repo {
    let r = this.repos.get(name);
    if (!r) this.repos.set(name, (r = { manifests: new Map(), tags: new Map() }));
    return r;
  }

  /** Pushes an image manifest whose config says `created` (tag '' = untagged); returns its digest. */
  push(name: string, tag: string, created: string, mediaType: string = MEDIA.dockerManifest, salt = ''): string {
    const config = Buffer.from(JSON.stringify({ created, architecture: 'amd64', os: 'linux', salt }));
    this.blobs.set(sha(config), config);
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { digest: sha(config), size: config.length }, layers: [] }));
    return this.put(name, tag, mediaType, bytes);
  }

  /** Pushes an index of the given manifests (by digest, already in the repo) with their platforms. */
  pushIndex(name: string, tag: string, children: { digest: string; os: string; architecture: string }[], mediaType: string = MEDIA.ociIndex): string {
    const bytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType, manifests: children.map((c) => ({ digest: c.digest, platform: { os: c.os, architecture: c.architecture } })) }),
    );
    return this.put(name, tag, mediaType, bytes);
  }

  put(name: string, tag: string, mediaType: string, bytes: Buffer): string {
    const r = this.repo(name);
    const digest = sha(bytes);
    r.manifests.set(digest, { mediaType, bytes });
    if (tag !== '') r.tags.set(tag, digest);
    return digest;
  }

  tagsOf(name: string): string[] {
    return [...(this.repos.get(name)?.tags.keys() ?? [])].sort();
  }

  private sortKey(s: string): string {
    return this.o.order === 'plain' ? s : s.replaceAll('/', '\u0000');
  }

  private async authorize(req: IncomingMessage, need: { type: string; name: string; action: string }): Promise<SeenRequest['access'] | 'denied'> {
    if (!this.key) return undefined;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return 'denied';
    try {
      const { payload } = await jwtVerify(m[1]!, createPublicKey(this.key), {
        issuer: REGISTRY_ISSUER,
        audience: REGISTRY_SERVICE,
        algorithms: ['ES256'],
        currentDate: new Date(this.now()),
      });
      const access = (payload.access ?? []) as NonNullable<SeenRequest['access']>;
      const ok = access.some((a) => a.type === need.type && a.name === need.name && (a.actions.includes(need.action) || a.actions.includes('*')));
      return ok ? access : 'denied';
    } catch {
      return 'denied';
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const method = req.method!;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      const text = json === undefined ? '' : JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(method === 'HEAD' ? undefined : text);
    };
    const seen: SeenRequest = { method, path: url.pathname + url.search, accept: String(req.headers.accept ?? '') };
    this.seen.push(seen);

    if (url.pathname === '/v2/_catalog') {
      const access = await this.authorize(req, { type: 'registry', name: 'catalog', action: '*' });
      if (access === 'denied') return send(401, { errors: [{ code: 'UNAUTHORIZED' }] });
      seen.access = access;
      const n = Math.min(Number(url.searchParams.get('n') ?? 100), this.o.catalogPage ?? 100);
      const last = url.searchParams.get('last');
      const names = [...this.repos.keys()].sort((a, b) => (this.sortKey(a) < this.sortKey(b) ? -1 : 1));
      const after = last === null ? names : names.filter((x) => this.sortKey(x) > this.sortKey(last));
      const page = after.slice(0, n);
      const headers: Record<string, string> = after.length > n ? { link: `</v2/_catalog?last=${encodeURIComponent(page.at(-1)!)}&n=${n}>; rel="next"` } : {};
      return send(200, { repositories: page }, headers);
    }
    const m = /^\/v2\/(.+)\/(tags\/list|manifests\/([^/]+)|blobs\/([^/]+))$/.exec(url.pathname);
    if (!m) return send(404, { errors: [{ code: 'NOT_FOUND' }] });
    const name = m[1]!;
    const action = method === 'DELETE' ? 'delete' : method === 'PUT' ? 'push' : 'pull';
    const access = await this.authorize(req, { type: 'repository', name, action });
    if (access === 'denied') return send(401, { errors: [{ code: 'UNAUTHORIZED' }] });
    seen.access = access;
    const repo = this.repos.get(name);

    if (m[2] === 'tags/list') {
      if (!repo) return send(404, { errors: [{ code: 'NAME_UNKNOWN' }] });
      return send(200, { name, tags: repo.tags.size ? [...repo.tags.keys()].sort() : null });
    }
    if (m[4]) {
      const blob = this.blobs.get(m[4]);
      return blob ? send(200, JSON.parse(blob.toString())) : send(404, { errors: [{ code: 'BLOB_UNKNOWN' }] });
    }
    const ref = m[3]!;
    if (method === 'PUT') {
      this.put(name, ref, String(req.headers['content-type']), body);
      return send(201);
    }
    if (method === 'DELETE') {
      if (this.deleteDisabled) return send(405, { errors: [{ code: 'UNSUPPORTED' }] });
      if (!ref.startsWith('sha256:')) return send(400, { errors: [{ code: 'UNSUPPORTED' }] });
      if (!repo?.manifests.delete(ref)) return send(404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] });
      for (const [t, d] of repo.tags) if (d === ref) repo.tags.delete(t);
      return send(202);
    }
    const digest = ref.startsWith('sha256:') ? ref : repo?.tags.get(ref);
    const man = digest ? repo?.manifests.get(digest) : undefined;
    if (!man) return send(404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] });
    // Like a real registry, a kind the client does not accept is not served as is.
    if (!seen.accept.split(',').map((s) => s.trim()).includes(man.mediaType)) return send(404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] });
    const headers: Record<string, string> = { 'content-type': man.mediaType };
    if (!this.omitDigestHeader) headers['docker-content-digest'] = digest!;
    res.writeHead(200, headers);
    res.end(method === 'HEAD' ? undefined : man.bytes);
  }
}
