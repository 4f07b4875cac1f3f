import type { Logger } from '../../../shared/src/log.js';
import { conflict, forbidden, noRegistry, notFound } from '../errors.js';
import { mapLimit } from '../../../shared/src/map-limit.js';
import type { RegistryClient } from '../registry/client.js';
import { buildTimes, deleteImage, deleteTags, describeTag, imagesOf } from '../registry/images.js';
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
    if (!this.registry) throw noRegistry();
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

  private async images(p: RepoProjectRecord): Promise<ImageRow[]> {
    return (await imagesOf(this.client(), p.projectName)).map((i) => ({ ...i, project: p }));
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
      for (const img of await this.images(p)) await deleteImage(this.client(), img.name, img.tags);
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
    const timed = async (r: ImageRow) => ({ r, t: await buildTimes(this.client(), r.name, r.tags) });
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
      const d = await describeTag(reg, img.name, tag);
      return { tag, digest: d.digest, imageAddress: this.address(img.name), createTime: d.created, updateTime: d.created };
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
      await deleteImage(this.client(), img.name, img.tags);
      this.log.info('image deleted', { imageName: img.name, tags: img.tags.length, by: c.user.id });
    }
  }

  /** Deletes tags; only the named ones disappear, also from a manifest that other tags share. */
  async deleteTags(c: Caller, imageName: string, tags: string[]): Promise<void> {
    assertCan(c.role, 'repository.image.delete');
    const reg = this.client();
    const img = await this.image(c, imageName);
    this.assertManage(c, img.project);
    const doomed = new Set(tags);
    const missing = [...doomed].filter((t) => !img.tags.includes(t));
    if (missing.length) throw notFound(`tag ${missing.join(', ')} of image ${imageName}`);
    await deleteTags(reg, imageName, img.tags, doomed);
    this.log.info('image tags deleted', { imageName, tags: [...doomed], by: c.user.id });
  }
}
