import type { Logger } from '../../../shared/src/log.js';
import { AppError, conflict, forbidden, notFound } from '../errors.js';
import type { RegistryClient } from '../registry/client.js';
import { mapLimit } from '../../../shared/src/map-limit.js';
import { projectOf } from '../registry/scope.js';
import type { RepoProjectRecord } from '../store/repository-repos.js';
import type { PageQuery, Store } from '../store/types.js';
import { pageOf } from '../store/paging.js';
import { assertCan } from './permissions.js';
import type { Caller } from './users.js';

/** An image: a repository of the registry with at least one tag. */
interface ImageRow {
  project: RepoProjectRecord;
  name: string;
  tags: string[];
}

export type ImageOrder = 'id' | 'imageName' | 'createTime' | 'updateTime';

/** Projects, images and tags of Repository Management, backed by the registry. */
export class RepositoryService {
  constructor(
    private readonly store: Store,
    private readonly registry: RegistryClient | undefined,
    private readonly log: Logger,
  ) {}

  /** The registry, or 503 when HUB_REGISTRY_URL is unset. */
  client(): RegistryClient {
    if (!this.registry) throw new AppError(503, 'no registry is configured on this hub (HUB_REGISTRY_URL is unset)');
    return this.registry;
  }

  /** Public projects: everyone; private ones: their business and the system administrator. */
  private canSee(c: Caller, p: RepoProjectRecord): boolean {
    return p.public || c.role === 4 || ((c.role === 2 || c.role === 3) && p.businessId !== null && p.businessId === c.user.businessId);
  }

  /** Changes (deletions) of a project and its images: its business's administrators and the system administrator. */
  private assertManage(c: Caller, p: RepoProjectRecord): void {
    if (c.role === 4 || (c.role === 3 && p.businessId !== null && p.businessId === c.user.businessId)) return;
    throw forbidden(`only administrators of the business that owns project ${p.projectName} may change it`);
  }

  private visibleProject(c: Caller, name: string): RepoProjectRecord {
    const p = this.store.repoProjects.byName(name);
    if (!p || !this.canSee(c, p)) throw notFound(`project ${name}`);
    return p;
  }

  private address(name: string): string {
    return `${this.client().host}/${name}`;
  }

  /** The images of a project: its repositories that have tags (deleted images keep an empty repository). */
  private async images(p: RepoProjectRecord): Promise<ImageRow[]> {
    const reg = this.client();
    const names = await reg.catalog(p.projectName);
    const rows = await mapLimit(names, 8, async (name) => ({ project: p, name, tags: await reg.tags(name) }));
    return rows.filter((r) => r.tags.length > 0);
  }

  /** The build times of an image's tags: [oldest, newest], Unix seconds. */
  private async times(name: string, tags: string[]): Promise<[number, number]> {
    const reg = this.client();
    const ts = await mapLimit(tags, 8, async (t) => {
      const digest = await reg.digest(name, t);
      return digest ? reg.createdTime(name, digest) : 0;
    });
    const known = ts.filter((t) => t > 0);
    return known.length ? [Math.min(...known), Math.max(...known)] : [0, 0];
  }

  async listProjects(c: Caller, q: PageQuery & { projectName?: string; public?: boolean; orderBy: 'id' | 'projectName' }) {
    assertCan(c.role, 'repository.project.read');
    this.client();
    const needle = q.projectName?.toLowerCase();
    let rows = this.store.repoProjects
      .all()
      .filter((p) => this.canSee(c, p) && (needle === undefined || p.projectName.includes(needle)) && (q.public === undefined || p.public === q.public));
    if (q.orderBy === 'projectName') rows = [...rows].sort((a, b) => (a.projectName < b.projectName ? -1 : 1));
    const page = pageOf(rows, q);
    const items = await mapLimit(page.items, 4, async (p) => ({
      projectId: p.id,
      projectName: p.projectName,
      public: p.public,
      businessId: p.businessId,
      imageCount: (await this.images(p)).length,
      createTime: p.createTime,
      updateTime: p.updateTime,
    }));
    return { items, total: page.total };
  }

  async createProject(c: Caller, input: { projectName: string; public: boolean }): Promise<RepoProjectRecord> {
    assertCan(c.role, 'repository.project.create');
    this.client();
    if (!input.public && !this.store.settings().privateProject) throw forbidden('private projects are disabled on this hub');
    if (this.store.repoProjects.byName(input.projectName)) throw conflict(`project ${input.projectName} already exists`);
    const p = await this.store.repoProjects.insert({
      projectName: input.projectName,
      public: input.public,
      businessId: c.role === 4 ? null : c.user.businessId,
      userId: c.user.id,
    });
    this.log.info('repository project created', { projectId: p.id, projectName: p.projectName, businessId: p.businessId, by: c.user.id });
    return p;
  }

  /** Deletes projects and every image in them; all are checked before anything is deleted. */
  async deleteProjects(c: Caller, ids: number[]): Promise<void> {
    assertCan(c.role, 'repository.project.delete');
    this.client();
    const projects = [...new Set(ids)].map((id) => {
      const p = this.store.repoProjects.get(id);
      if (!p || !this.canSee(c, p)) throw notFound(`project ${id}`);
      this.assertManage(c, p);
      return p;
    });
    for (const p of projects) {
      for (const img of await this.images(p)) await this.deleteImage(img.name, img.tags);
      await this.store.repoProjects.remove(p.id);
      this.log.info('repository project deleted', { projectId: p.id, projectName: p.projectName, by: c.user.id });
    }
  }

  async listImages(c: Caller, q: PageQuery & { projectName?: string; imageName?: string; orderBy: ImageOrder }) {
    assertCan(c.role, 'repository.image.read');
    this.client();
    const projects = q.projectName !== undefined ? [this.visibleProject(c, q.projectName)] : this.store.repoProjects.all().filter((p) => this.canSee(c, p));
    const needle = q.imageName?.toLowerCase();
    const rows = (await mapLimit(projects, 4, (p) => this.images(p))).flat().filter((r) => needle === undefined || r.name.includes(needle));
    rows.sort((a, b) => (a.name < b.name ? -1 : 1));
    const byTime = q.orderBy === 'createTime' || q.orderBy === 'updateTime';
    const timed = async (r: ImageRow) => ({ r, t: await this.times(r.name, r.tags) });
    let page: { items: { r: ImageRow; t: [number, number] }[]; total: number };
    if (byTime) {
      const all = await mapLimit(rows, 4, timed);
      const i = q.orderBy === 'createTime' ? 0 : 1;
      all.sort((a, b) => a.t[i] - b.t[i] || (a.r.name < b.r.name ? -1 : 1));
      page = pageOf(all, q);
    } else {
      const p = pageOf(rows, q);
      page = { items: await mapLimit(p.items, 4, timed), total: p.total };
    }
    return {
      total: page.total,
      items: page.items.map(({ r, t }) => ({
        projectName: r.project.projectName,
        public: r.project.public,
        imageName: r.name,
        imageAddress: this.address(r.name),
        tagCount: r.tags.length,
        createTime: t[0],
        updateTime: t[1],
      })),
    };
  }

  /** A visible image and its tags; 404 when the project is not visible or the image has no tags. */
  private async image(c: Caller, name: string): Promise<ImageRow> {
    const projectName = projectOf(name);
    if (projectName === undefined) throw notFound(`image ${name}`);
    const project = this.visibleProject(c, projectName);
    const tags = await this.client().tags(name);
    if (tags.length === 0) throw notFound(`image ${name}`);
    return { project, name, tags };
  }

  async listTags(c: Caller, q: PageQuery & { imageName: string; orderBy: 'tag' | 'createTime' }) {
    assertCan(c.role, 'repository.image.read');
    const reg = this.client();
    const img = await this.image(c, q.imageName);
    const describe = async (tag: string) => {
      const digest = (await reg.digest(img.name, tag)) ?? '';
      const t = digest ? await reg.createdTime(img.name, digest) : 0;
      return { tag, digest, imageAddress: this.address(img.name), createTime: t, updateTime: t };
    };
    const tags = [...img.tags].sort();
    if (q.orderBy === 'createTime') {
      const all = await mapLimit(tags, 8, describe);
      all.sort((a, b) => a.createTime - b.createTime || (a.tag < b.tag ? -1 : 1));
      return pageOf(all, q);
    }
    const p = pageOf(tags, q);
    return { items: await mapLimit(p.items, 8, describe), total: p.total };
  }

  async deleteImages(c: Caller, names: string[]): Promise<void> {
    assertCan(c.role, 'repository.image.delete');
    this.client();
    const images: ImageRow[] = [];
    for (const name of new Set(names)) {
      const img = await this.image(c, name);
      this.assertManage(c, img.project);
      images.push(img);
    }
    for (const img of images) {
      await this.deleteImage(img.name, img.tags);
      this.log.info('image deleted', { imageName: img.name, tags: img.tags.length, by: c.user.id });
    }
  }

  /** Deletes every manifest the tags point at. */
  private async deleteImage(name: string, tags: string[]): Promise<void> {
    const reg = this.client();
    const digests = new Set((await mapLimit(tags, 8, (t) => reg.digest(name, t))).filter((d): d is string => d !== undefined));
    for (const d of digests) await reg.deleteManifest(name, d);
  }

  /**
   * Deletes tags. The registry deletes manifests, not tags: a manifest that other tags share is deleted
   * and put back under those tags (same bytes, same digest), so only the named tags disappear.
   */
  async deleteTags(c: Caller, imageName: string, tags: string[]): Promise<void> {
    assertCan(c.role, 'repository.image.delete');
    const reg = this.client();
    const img = await this.image(c, imageName);
    this.assertManage(c, img.project);
    const doomed = new Set(tags);
    const missing = [...doomed].filter((t) => !img.tags.includes(t));
    if (missing.length) throw notFound(`tag ${missing.join(', ')} of image ${imageName}`);
    const digestOf = new Map(await mapLimit(img.tags, 8, async (t) => [t, await reg.digest(imageName, t)] as const));
    const digests = new Set([...doomed].map((t) => digestOf.get(t)).filter((d): d is string => d !== undefined));
    for (const d of digests) {
      const keep = img.tags.filter((t) => !doomed.has(t) && digestOf.get(t) === d);
      const manifest = keep.length ? await reg.manifest(imageName, d) : undefined;
      await reg.deleteManifest(imageName, d);
      try {
        for (const t of keep) await reg.putManifest(imageName, t, manifest!);
      } catch (e) {
        this.log.error('tags lost while deleting a shared manifest', { imageName, digest: d, tags: keep, error: (e as Error).message });
        throw new AppError(503, `deleted ${[...doomed].join(', ')} but could not restore ${keep.join(', ')} of ${imageName} (same manifest); push them again`);
      }
    }
    this.log.info('image tags deleted', { imageName, tags: [...doomed], by: c.user.id });
  }
}
