import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../hub/src/routes/openapi-table.js';
import { makeTestHub, type TestHub } from '../helpers/hub.js';
import { ROOT } from '../helpers/processes.js';

type Doc = { openapi: string; paths: Record<string, Record<string, { operationId: string; parameters?: { name: string; in: string }[]; security?: unknown[]; requestBody?: unknown }>>; components: { schemas: Record<string, any> } };

let hub: TestHub;
let doc: Doc;

const FIXTURE = join(ROOT, 'test/fixtures/openapi-document-paths.txt');
const SHARED = process.env.VSM_SHARED_DIR ?? join(ROOT, '..', 'shared');

/** The fixture's [document] and [extensions] sections. */
function fixture(): { document: string[]; extensions: string[] } {
  const out = { document: [] as string[], extensions: [] as string[] };
  let section: keyof typeof out | undefined;
  for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
    if (line === '[document]') section = 'document';
    else if (line === '[extensions]') section = 'extensions';
    else if (line && !line.startsWith('#') && section) out[section].push(line);
  }
  return out;
}

const uniqSorted = (xs: string[]) => [...new Set(xs)].sort();

/** Does a path of the documents (`/v1/business/id/[id]`, `/v1/business/id/1?x=y`) fall on an OpenAPI path template? */
function covers(template: string, docPath: string): boolean {
  const t = template.split('/');
  const d = docPath.split('?')[0]!.replace(/\/$/, '').split('/');
  if (docPath.split('?')[0] === '/') return template === '/';
  if (t.length !== d.length) return false;
  return t.every((seg, i) => (seg.startsWith('{') ? d[i] !== '' : !d[i]!.startsWith('[') && seg === d[i]));
}

beforeAll(async () => {
  hub = await makeTestHub();
  const res = await hub.app.request('/v1/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await res.json()) as Doc;
});

afterAll(async () => {
  await hub.cleanup();
});

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    type Spec = Parameters<Validator['validate']>[0];
    const r = await new Validator().validate(doc as unknown as Spec);
    expect(r.errors ?? []).toEqual([]);
    expect(r.valid).toBe(true);
    // The validator is not vacuous: a document with a malformed operation is refused.
    const broken = structuredClone(doc) as any;
    broken.paths['/v1/node'].get.responses = { '200': { content: {} } };
    expect((await new Validator().validate(broken as Spec)).valid).toBe(false);
  });

  it('holds every path of the API document, and of our extensions in CONTRACT.md and API-NOTES.md', () => {
    const { document, extensions } = fixture();
    expect(document.length).toBeGreaterThan(40);
    const missing = [...document, ...extensions].filter((line) => {
      const [method, path] = line.split(' ') as [string, string];
      const m = method.toLowerCase();
      return !Object.entries(doc.paths).some(([template, ops]) => m in ops && covers(template, path));
    });
    expect(missing).toEqual([]);
  });

  it("keeps its copy of the documents' paths in step with the documents, and well formed", () => {
    const copy = fixture();
    for (const line of [...copy.document, ...copy.extensions]) expect(line).toMatch(/^(GET|POST|PUT|DELETE) \/\S*$/);
    const spec = join(SHARED, 'spec/vsm-r3-api.txt');
    // Where shared/ is not beside the checkout, the committed copy is what the coverage test uses.
    if (!existsSync(spec)) return;
    const text = readFileSync(spec, 'utf8');
    const ext = ['CONTRACT.md', 'API-NOTES.md'].map((f) => readFileSync(join(SHARED, f), 'utf8')).join('\n');
    const fromDoc = uniqSorted([...text.matchAll(/\b(GET|POST|PUT|DELETE)\s+(\/v1\/\S*)/g)].map((m) => `${m[1]} ${m[2]}`));
    const fromExt = uniqSorted([...ext.matchAll(/`(GET|POST|PUT|DELETE) (\/[^`\s]*)/g)].map((m) => `${m[1]} ${m[2]}`));
    expect(fixture()).toEqual({ document: fromDoc, extensions: fromExt });
  });

  it('describes exactly the routes the hub serves (the route table is kept beside the routes)', () => {
    const served = uniqSorted(hub.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
    const table = uniqSorted(ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`));
    expect(table).toEqual(served);
    const documented = ROUTES.filter((r) => !r.hidden).length;
    expect(Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0)).toBe(documented);
  });

  it('declares every path parameter, uses unique operation ids, and links bodies to their zod-made schemas', () => {
    const ids = new Set<string>();
    for (const [template, ops] of Object.entries(doc.paths)) {
      const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops)) {
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort()).toEqual([...names].sort());
      }
    }
    const createApp = doc.components.schemas.CreateApp;
    expect(createApp.required).toEqual(expect.arrayContaining(['appName', 'deployType', 'image', 'version', 'port']));
    expect(createApp.properties.deployType.enum).toEqual(['deployment', 'daemonset']);
    expect(doc.components.schemas.Login.required).toEqual(['user', 'password']);
    expect(doc.paths['/v1/events']!.get!.security).toEqual([{ token: [] }, { tokenQuery: [] }]);
    expect(doc.paths['/v1/authorization']!.post!.security).toEqual([]);
  });

  it('answers other methods with 404 in the envelope', async () => {
    const r = await hub.call('POST', '/v1/openapi.json', { body: {} });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ code: 404, message: expect.any(String) });
  });
});

describe('GET /docs (Swagger UI, served locally)', () => {
  it('serves the page and its files from the hub, with a same-origin content security policy', async () => {
    for (const path of ['/docs', '/docs/']) {
      const res = await hub.app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
      const html = await res.text();
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(refs.sort()).toEqual(['/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']);
      expect(html).not.toMatch(/<script>(?!<\/script>)/);
    }
    for (const [file, type] of [['/docs/swagger-ui-bundle.js', /javascript/], ['/docs/swagger-ui.css', /css/], ['/docs/init.js', /javascript/]] as const) {
      const res = await hub.app.request(file);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type')).toMatch(type);
    }
    expect(await (await hub.app.request('/docs/init.js')).text()).toContain("url: '/v1/openapi.json'");
  });

  it('serves nothing else: other names and path tricks answer 404 in the envelope', async () => {
    for (const path of ['/docs/package.json', '/docs/..%2Fpackage.json', '/docs/swagger-initializer.js', '/docs/index.js']) {
      const r = await hub.call('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body).toEqual({ code: 404, message: expect.any(String) });
    }
  });
});
