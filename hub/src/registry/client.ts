import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import { SIGNING_CERT_FILE } from './keys.js';
import type { ResourceAccess } from './scope.js';

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/**
 * Every manifest kind the hub understands. Without these, a registry may answer a converted schema 1
 * manifest (another digest) or refuse an OCI index.
 */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex].join(', ');

interface ManifestBody {
  mediaType?: string;
  config?: { digest?: string };
  manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[];
}

export interface Manifest {
  digest: string;
  mediaType: string;
  /** The exact bytes: what the digest is computed over, and what a PUT must send back. */
  bytes: Buffer;
  body: ManifestBody;
}

/** A bearer token for these accesses (the hub signs its own; see RegistryTokenSigner). */
export type Authorize = (access: ResourceAccess[]) => Promise<string>;

export interface RegistryClientOptions {
  /** HUB_REGISTRY_URL. */
  baseUrl: string;
  authorize: Authorize;
  /** Per request; a registry that is down answers 503 within this. */
  timeoutMs?: number;
}

const CATALOG_PAGE = 1000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const CREATED_CACHE_MAX = 10_000;

const pull = (name: string): ResourceAccess[] => [{ type: 'repository', name, actions: ['pull'] }];

/** A client of the Distribution HTTP API v2 (Docker Registry 2.x and OCI registries). */
export class RegistryClient {
  /** host[:port], the first part of image addresses. */
  readonly host: string;
  private readonly origin: string;
  private readonly timeoutMs: number;
  /** Manifest digest -> image creation time; digests are immutable, so entries never go stale. */
  private readonly created = new Map<string, number>();

  constructor(private readonly o: RegistryClientOptions) {
    const url = new URL(o.baseUrl);
    this.host = url.host;
    this.origin = url.origin;
    this.timeoutMs = o.timeoutMs ?? 4000;
  }

  /** Repository names, all or those under `project/`, following the catalog's Link pagination. */
  async catalog(project?: string): Promise<string[]> {
    const prefix = project === undefined ? '' : `${project}/`;
    const out: string[] = [];
    // `last=<project>` skips what sorts before it; registries order names plainly or per path component.
    let path: string | undefined = `/v2/_catalog?n=${CATALOG_PAGE}${project === undefined ? '' : `&last=${encodeURIComponent(project)}`}`;
    while (path) {
      const res = await this.request('GET', path, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
      const names = this.json<{ repositories?: string[] | null }>(res, 'the catalog').repositories ?? [];
      for (const n of names) {
        if (n.startsWith(prefix)) out.push(n);
        else if (n > prefix) return out; // past the block of `project/` names under either order
      }
      path = names.length ? this.nextLink(res.headers.get('link')) : undefined;
    }
    return out;
  }

  /** The tags of a repository; [] when it does not exist. */
  async tags(name: string): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = `/v2/${name}/tags/list`;
    while (path) {
      const res = await this.request('GET', path, pull(name), {}, [200, 404]);
      if (res.status === 404) return out;
      const tags = this.json<{ tags?: string[] | null }>(res, `the tags of ${name}`).tags ?? [];
      out.push(...tags);
      path = tags.length ? this.nextLink(res.headers.get('link')) : undefined;
    }
    return out;
  }

  /** The digest a tag (or digest) resolves to, from a HEAD with the manifest Accept types; undefined when absent. */
  async digest(name: string, reference: string): Promise<string | undefined> {
    const res = await this.request('HEAD', `/v2/${name}/manifests/${reference}`, pull(name), { accept: MANIFEST_ACCEPT }, [200, 404]);
    if (res.status === 404) return undefined;
    return res.headers.get('docker-content-digest') ?? (await this.manifest(name, reference))?.digest;
  }

  /** A manifest with its exact bytes; undefined when absent. */
  async manifest(name: string, reference: string): Promise<Manifest | undefined> {
    const res = await this.request('GET', `/v2/${name}/manifests/${reference}`, pull(name), { accept: MANIFEST_ACCEPT }, [200, 404]);
    if (res.status === 404) return undefined;
    const bytes = res.body;
    const body = this.json<ManifestBody>(res, `the manifest ${name}:${reference}`);
    const digest = res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const mediaType = res.headers.get('content-type')?.split(';')[0]?.trim() || body.mediaType || MEDIA.dockerManifest;
    return { digest, mediaType, bytes, body };
  }

  /** Deletes a manifest by digest (and every tag on it); false when it was already gone. */
  async deleteManifest(name: string, digest: string): Promise<boolean> {
    const res = await this.request('DELETE', `/v2/${name}/manifests/${digest}`, [{ type: 'repository', name, actions: ['delete'] }], {}, [200, 202, 404, 405]);
    if (res.status === 405) throw this.fault('the registry does not allow deletes (set storage.delete.enabled: true in its configuration)');
    return res.status !== 404;
  }

  /** Puts manifest bytes under a tag (used to keep the other tags of a digest when one tag is deleted). */
  async putManifest(name: string, tag: string, m: Pick<Manifest, 'mediaType' | 'bytes'>): Promise<void> {
    const access: ResourceAccess[] = [{ type: 'repository', name, actions: ['pull', 'push'] }];
    await this.request('PUT', `/v2/${name}/manifests/${tag}`, access, { 'content-type': m.mediaType }, [201], m.bytes);
  }

  /** When the image behind a manifest digest was built (its config's `created`), Unix seconds; 0 if unknown. */
  async createdTime(name: string, digest: string): Promise<number> {
    const cached = this.created.get(digest);
    if (cached !== undefined) return cached;
    let m = await this.manifest(name, digest);
    if (m?.body.manifests) {
      const list = m.body.manifests;
      const pick = list.find((x) => x.platform?.os === 'linux' && x.platform.architecture === 'amd64') ?? list.find((x) => x.platform?.os !== 'unknown') ?? list[0];
      m = pick?.digest ? await this.manifest(name, pick.digest) : undefined;
    }
    const config = m?.body.config?.digest;
    let t = 0;
    if (config) {
      const res = await this.request('GET', `/v2/${name}/blobs/${config}`, pull(name), {}, [200, 404]);
      if (res.status === 200) {
        const created = Date.parse(String(this.json<{ created?: unknown }>(res, `the config of ${name}@${digest}`).created));
        t = Number.isFinite(created) ? Math.floor(created / 1000) : 0;
      }
    }
    if (this.created.size >= CREATED_CACHE_MAX) this.created.delete(this.created.keys().next().value!);
    this.created.set(digest, t);
    return t;
  }

  private nextLink(link: string | null): string | undefined {
    const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
    if (!m) return undefined;
    const url = new URL(m[1]!, this.origin);
    return url.origin === this.origin ? url.pathname + url.search : undefined;
  }

  private fault(message: string): AppError {
    return new AppError(503, `registry ${this.host}: ${message}`);
  }

  private json<T>(res: Answer, what: string): T {
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch {
      throw this.fault(`${what} is not JSON`);
    }
  }

  /** One call, its body read whole (at most MAX_BODY_BYTES) within the timeout; anything unexpected is a 503. */
  private async request(
    method: string,
    path: string,
    access: ResourceAccess[],
    headers: Record<string, string> = {},
    expect: number[] = [200],
    body?: Buffer,
  ): Promise<Answer> {
    const token = await this.o.authorize(access);
    let res: Response;
    let bytes: Buffer;
    try {
      res = await fetch(this.origin + path, {
        method,
        headers: { ...headers, authorization: `Bearer ${token}` },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (Number(res.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) {
        await res.body?.cancel();
        throw this.fault(`the answer to ${method} ${path} is larger than ${MAX_BODY_BYTES} bytes`);
      }
      bytes = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      if (e instanceof AppError) throw e;
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw this.fault(`unreachable (${why})`);
    }
    if (expect.includes(res.status)) return { status: res.status, headers: res.headers, body: bytes };
    if (res.status === 401 || res.status === 403) {
      throw this.fault(`refused the hub's token for ${method} ${path}; the registry must trust ${SIGNING_CERT_FILE} (auth.token.rootcertbundle)`);
    }
    const detail = bytes.toString('utf8').slice(0, 200);
    throw this.fault(`answered ${res.status} to ${method} ${path}${detail ? `: ${detail}` : ''}`);
  }
}

interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}
