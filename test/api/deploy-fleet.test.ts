import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBody, makeAppHub, type AppHub } from '../helpers/apps.js';
import type { TestHub } from '../helpers/hub.js';
import type { RoleFixture } from '../helpers/roles.js';

let f: AppHub;
let hub: TestHub;
let roles: RoleFixture;
let admin: string;
const view = async (id: number) => (await hub.call('GET', `/v1/deploy/${id}`, { token: roles.a.admin.token })).body.data;
const deploy = async (body: unknown) => {
  const r = await hub.call('POST', '/v1/deploy', { token: roles.a.admin.token, body });
  if (r.status !== 200) throw new Error(r.body.message);
  await hub.ctx.workloads.tick();
  return r.body.data.id as number;
};
const label = (nodeName: string[], nodeLabel = 'cam') => hub.call('POST', '/v1/node/label', { token: admin, body: { nodeLabel, clusterName: 'GuangZhou', nodeName } });
const unlabel = (nodeName: string[], deleteDeploy: boolean, nodeLabel = 'cam') =>
  hub.call('DELETE', '/v1/node/label', { token: admin, body: { nodeLabel, clusterName: 'GuangZhou', nodeName, deleteDeploy } });

beforeAll(async () => {
  f = await makeAppHub();
  ({ hub, roles } = f);
  admin = roles.sysAdmin.token;
  for (const body of [appBody({ appName: 'ds', deployType: 'daemonset' }), appBody({ appName: 'web', replicas: 2 }), appBody({ appName: 'lab', replicas: 2 })]) {
    await hub.call('POST', '/v1/app', { token: roles.a.admin.token, body });
  }
});
afterAll(() => hub.cleanup());

describe('node labels and deployments', () => {
  let ds: number;

  it('a daemonset follows the label onto nodes that gain it', async () => {
    ds = await deploy({ appName: 'ds', version: '1.2', clusterName: ['GuangZhou'], nodeLabel: 'cam' });
    expect(f.nodeNames(await view(ds))).toEqual(['GZ1']);
    expect((await label(['GZ2'])).status).toBe(200);
    await hub.ctx.workloads.tick();
    expect(f.nodeNames(await view(ds))).toEqual(['GZ1', 'GZ2']);
  });

  it('removing the label without deleteDeploy keeps the instances', async () => {
    expect((await unlabel(['GZ1'], false)).status).toBe(200);
    await hub.ctx.workloads.tick();
    expect(f.nodeNames(await view(ds))).toEqual(['GZ1', 'GZ2']);
  });

  it('removing the label with deleteDeploy removes the instances from those nodes', async () => {
    const lab = await deploy({ appName: 'lab', version: '1.2', clusterName: ['GuangZhou'], nodeLabel: 'cam' });
    expect(f.nodeNames(await view(lab))).toEqual(['GZ2', 'GZ2']);
    expect(f.desiredOf('GZ2').map((w) => w.appName).sort()).toEqual(['ds', 'lab', 'lab']);
    expect((await unlabel(['GZ2'], true)).status).toBe(200);
    await hub.ctx.workloads.tick();
    expect((await view(ds)).instances.map((i: { nodeName: string }) => i.nodeName)).toEqual(['GZ1']);
    expect((await view(lab)).instances).toEqual([]); // no node has the label any more
    expect(f.desiredOf('GZ2')).toEqual([]);
  });

  it('answers 422 for a bad deleteDeploy and 403 for a business admin', async () => {
    expect((await hub.call('DELETE', '/v1/node/label', { token: admin, body: { nodeLabel: 'cam', clusterName: 'GuangZhou', nodeName: ['GZ1'], deleteDeploy: 'yes' } })).status).toBe(422);
    expect((await hub.call('DELETE', '/v1/node/label', { token: roles.a.admin.token, body: { nodeLabel: 'cam', clusterName: 'GuangZhou', nodeName: ['GZ1'], deleteDeploy: true } })).status).toBe(403);
  });
});

describe('redeploying to other clusters', () => {
  it('a new deploy of the same version to another cluster moves the replicas there', async () => {
    const first = await deploy({ appName: 'web', version: '1.2', clusterName: ['BeiJing'] });
    expect(f.nodeNames(await view(first))).toEqual(['BJ1', 'BJ1']);
    const second = await deploy({ appName: 'web', version: '1.2', clusterName: ['GuangZhou'] });
    expect((await view(first)).status).toBe(3);
    await hub.ctx.workloads.tick();
    expect(f.nodeNames(await view(second))).toEqual(['GZ1', 'GZ2']);
    expect(f.desiredOf('BJ1').filter((w) => w.appName === 'web')).toEqual([]);
  });
});
