import { describe, expect, it } from 'vitest';
import { describeZodError } from '../../hub/src/http/validate.js';
import { createAppBody, deployAuditBody, deployBody } from '../../hub/src/schemas/apps.js';

/** The API-NOTES example, completed with a port list. */
const example = { appName: 'nginx1', deployType: 'deployment', image: 'nginx:latest', version: '1.2', repositoryId: 'repo1', replicas: 10, port: [80] };

/** The message a 422 would carry, or undefined when the body is accepted. */
function problem(body: unknown): string | undefined {
  const r = createAppBody.safeParse(body);
  return r.success ? undefined : describeZodError(r.error);
}

describe('createAppBody: accepted shapes', () => {
  it('accepts the API-NOTES example and fills the defaults', () => {
    const a = createAppBody.parse(example);
    expect(a).toMatchObject({ ...example, port: [{ containerPort: 80, protocol: 'tcp' }] });
    expect(a).toMatchObject({ command: [], volume: [], env: [], minReplicas: 0, maxCPU: 0, GPU: 0, isHPA: false, maxMemory: 0, maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0 });
  });

  it('accepts ports as numbers or objects', () => {
    const a = createAppBody.parse({ ...example, port: [80, { containerPort: 443, hostPort: 8443 }, { containerPort: 53, protocol: 'udp' }] });
    expect(a.port).toEqual([
      { containerPort: 80, protocol: 'tcp' },
      { containerPort: 443, hostPort: 8443, protocol: 'tcp' },
      { containerPort: 53, protocol: 'udp' },
    ]);
    expect(createAppBody.parse({ ...example, port: [] }).port).toEqual([]);
  });

  it('accepts volume strings "name:/path[:ro]" and objects', () => {
    const a = createAppBody.parse({ ...example, volume: ['cache:/var/cache', '/data/vsm/cam1:/rec:ro', 'x:/y:rw', { source: 'conf', target: '/etc/conf' }] });
    expect(a.volume).toEqual([
      { source: 'cache', target: '/var/cache', readOnly: false },
      { source: '/data/vsm/cam1', target: '/rec', readOnly: true },
      { source: 'x', target: '/y', readOnly: false },
      { source: 'conf', target: '/etc/conf', readOnly: false },
    ]);
  });

  it('accepts env strings and {name, value}', () => {
    const a = createAppBody.parse({ ...example, env: ['TZ=Asia/Shanghai', 'EMPTY=', { name: 'RTSP_URL', value: 'rtsp://cam/1?a=b' }] });
    expect(a.env).toEqual(['TZ=Asia/Shanghai', 'EMPTY=', 'RTSP_URL=rtsp://cam/1?a=b']);
  });

  it('accepts a command as a string or a list', () => {
    expect(createAppBody.parse({ ...example, command: 'nginx -g  daemon' }).command).toEqual(['nginx', '-g', 'daemon']);
    expect(createAppBody.parse({ ...example, command: ['sh', '-c', 'echo a b'] }).command).toEqual(['sh', '-c', 'echo a b']);
  });

  it.each([
    ['a daemonset', { deployType: 'daemonset' }],
    ['version 10.0', { version: '10.0' }],
    ['version 0.1', { version: '0.1' }],
    ['no repositoryId', { repositoryId: undefined }],
    ['limits in range', { minMemory: 64, maxMemory: 128, minCPU: 10, maxCPU: 50, GPU: 1 }],
    ['maxMemory 6, the least Docker accepts', { maxMemory: 6 }],
    ['appName with digits and dashes', { appName: '0cam-ingest-2' }],
    ['a registry image with a digest', { image: 'reg.example:5000/proj/app@sha256:abc' }],
  ])('accepts %s', (_, over) => {
    expect(problem({ ...example, ...over })).toBeUndefined();
  });
});

describe('createAppBody: refused shapes, with a message naming the problem', () => {
  it.each([
    ['version "1"', { version: '1' }, /version must look like x\.x/],
    ['version "1.2.3"', { version: '1.2.3' }, /version must look like x\.x/],
    ['version "a.b"', { version: 'a.b' }, /version must look like x\.x/],
    ['version as a number', { version: 1.2 }, /version/],
    ['deployType statefulset', { deployType: 'statefulset' }, /deployType must be deployment or daemonset/],
    ['negative replicas', { replicas: -1 }, /replicas must be at least 0/],
    ['fractional replicas', { replicas: 1.5 }, /replicas must be a whole number/],
    ['replicas as a string', { replicas: '3' }, /replicas must be a number/],
    ['minMemory above maxMemory', { minMemory: 512, maxMemory: 256 }, /minMemory must not exceed maxMemory/],
    ['maxMemory below 6 MB', { maxMemory: 5 }, /maxMemory must be at least 6/],
    ['minCPU above maxCPU', { minCPU: 80, maxCPU: 50 }, /minCPU must not exceed maxCPU/],
    ['an upper-case appName', { appName: 'Nginx1' }, /appName must be/],
    ['an appName with a space', { appName: 'nginx 1' }, /appName must be/],
    ['an empty appName', { appName: '' }, /appName must be/],
    ['an appName starting with a dash', { appName: '-nginx' }, /appName must be/],
    ['a relative volume target', { volume: ['cache:var/cache'] }, /volume target must be an absolute path/],
    ['a volume target with ..', { volume: ['cache:/var/../etc'] }, /volume target must not contain \.\./],
    ['a volume object target with ..', { volume: [{ source: 'c', target: '/a/..' }] }, /must not contain \.\./],
    ['a volume string without a target', { volume: ['cache'] }, /source:target/],
    ['a volume mode other than ro/rw', { volume: ['cache:/c:rx'] }, /source:target/],
    ['a volume string with a fourth field', { volume: ['cache:/c:ro:junk'] }, /source:target/],
    ['an env entry without =', { env: ['JUSTNAME'] }, /env/],
    ['an env name with a dash', { env: [{ name: 'A-B', value: '1' }] }, /env/],
    ['port 0', { port: [0] }, /port/],
    ['port 70000', { port: [70000] }, /port/],
    ['port protocol sctp', { port: [{ containerPort: 80, protocol: 'sctp' }] }, /port/],
    ['no port list', { port: undefined }, /port/],
    ['a missing image', { image: undefined }, /image/],
    ['an image with a space', { image: 'nginx latest' }, /image must be an image reference/],
    ['isHPA as a string', { isHPA: 'yes' }, /isHPA must be true or false/],
  ])('refuses %s', (_, over, message) => {
    const m = problem({ ...example, ...over });
    expect(m).toBeDefined();
    expect(m).toMatch(message);
  });
});

describe('deploy bodies', () => {
  it('accepts a deploy request and fills the comment', () => {
    expect(deployBody.parse({ appName: 'nginx1', version: '1.2', clusterName: ['GuangZhou'] })).toEqual({ appName: 'nginx1', version: '1.2', clusterName: ['GuangZhou'], comment: '' });
  });

  it.each([
    ['no cluster', { clusterName: [] }, /clusterName must name at least one cluster/],
    ['clusterName as a string', { clusterName: 'GuangZhou' }, /clusterName must be a list/],
    ['a bad version', { version: '2' }, /version must look like x\.x/],
    ['a bad label', { nodeLabel: 'has space' }, /nodeLabel/],
  ])('refuses %s', (_, over, message) => {
    const r = deployBody.safeParse({ appName: 'nginx1', version: '1.2', clusterName: ['GuangZhou'], ...over });
    expect(r.success).toBe(false);
    expect(describeZodError(r.error!)).toMatch(message);
  });

  it('audits only with status 1 or 2', () => {
    expect(deployAuditBody.parse({ status: 1 })).toEqual({ status: 1, auditComment: '' });
    for (const status of [0, 3, '1', undefined]) expect(deployAuditBody.safeParse({ status }).success).toBe(false);
  });
});
