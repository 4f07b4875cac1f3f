import { Hono, type Context } from 'hono';
import type { HubContext } from '../context.js';
import { requireUser } from '../http/auth.js';
import type { HubEnv } from '../http/env.js';
import { ok, page } from '../http/respond.js';
import { body, param, query } from '../http/validate.js';
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
  repositoryId,
  tagListQuery,
} from '../schemas/repository.js';
import { publicExternalRepo } from '../services/repository-third.js';

/** Repository Management (/v1/repository/...): projects, images, tags, registry accounts, external repositories. */
export function repositoryRoutes(ctx: HubContext) {
  const app = new Hono<HubEnv>();
  // Also matches /v1/repository itself (the document's alias paths).
  app.use('/v1/repository/*', requireUser(ctx));

  app.get('/v1/repository/project', async (c) => page(c, await ctx.repositories.listProjects(c.get('caller'), query(c, projectListQuery))));

  app.post('/v1/repository/project', async (c) => {
    const p = await ctx.repositories.createProject(c.get('caller'), await body(c, createProjectBody));
    return ok(c, { data: { projectId: p.id, projectName: p.projectName, public: p.public, businessId: p.businessId, createTime: p.createTime, updateTime: p.updateTime } });
  });

  app.delete('/v1/repository/project', async (c) => {
    await ctx.repositories.deleteProjects(c.get('caller'), (await body(c, deleteProjectBody)).projectId);
    return ok(c);
  });

  app.get('/v1/repository/image', async (c) => page(c, await ctx.repositories.listImages(c.get('caller'), query(c, imageListQuery))));

  app.delete('/v1/repository/image', async (c) => {
    await ctx.repositories.deleteImages(c.get('caller'), (await body(c, deleteImageBody)).imageName);
    return ok(c);
  });

  app.get('/v1/repository/image/tag', async (c) => page(c, await ctx.repositories.listTags(c.get('caller'), query(c, tagListQuery))));

  app.delete('/v1/repository/image/tag', async (c) => {
    const b = await body(c, deleteTagBody);
    await ctx.repositories.deleteTags(c.get('caller'), b.imageName, b.tag);
    return ok(c);
  });

  app.post('/v1/repository/user', async (c) => {
    const a = await ctx.registryAccounts.create(c.get('caller'), await body(c, createAccountBody));
    return ok(c, { data: { user: a.user, createTime: a.createTime, updateTime: a.updateTime } });
  });

  app.put('/v1/repository/user', async (c) => {
    await ctx.registryAccounts.changePassword(c.get('caller'), (await body(c, accountPasswordBody)).password);
    return ok(c);
  });

  // External repositories; POST and DELETE /v1/repository are the document's example paths (API-NOTES).
  const createThird = async (c: Context<HubEnv>) => {
    const r = await ctx.externalRepos.create(c.get('caller'), await body(c, externalRepoBody));
    return ok(c, { data: publicExternalRepo(r) });
  };
  const deleteThird = async (c: Context<HubEnv>) => {
    await ctx.externalRepos.remove(c.get('caller'), (await body(c, deleteExternalRepoBody)).repositoryId);
    return ok(c);
  };
  app.post('/v1/repository/third', createThird);
  app.post('/v1/repository', createThird);
  app.delete('/v1/repository/third', deleteThird);
  app.delete('/v1/repository', deleteThird);

  app.get('/v1/repository/third', (c) => page(c, ctx.externalRepos.list(c.get('caller'), query(c, externalRepoListQuery))));

  app.get('/v1/repository/third/:repoId', (c) =>
    ok(c, { data: publicExternalRepo(ctx.externalRepos.get(c.get('caller'), param(c, 'repoId', repositoryId))) }),
  );

  return app;
}
