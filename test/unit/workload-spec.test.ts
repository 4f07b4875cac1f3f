import { describe, expect, it } from 'vitest';
import { workloadSpecOf } from '../../hub/src/services/workload-spec.js';
import type { AppVersion, DeployRecord, InstanceRecord } from '../../hub/src/store/types.js';
import { workloadSpec } from '../../shared/src/protocol.js';

const deploy: DeployRecord = {
  id: 7,
  businessId: 4,
  appName: 'nginx1',
  version: '1.2',
  clusterNames: ['GuangZhou'],
  nodeLabel: null,
  comment: '',
  status: 1,
  auditComment: '',
  userId: 3,
  instances: [],
  nextInstance: 2,
  createTime: 0,
  updateTime: 0,
};

const version: AppVersion = {
  version: '1.2',
  deployType: 'deployment',
  image: 'nginx:1.25',
  port: [{ containerPort: 80, protocol: 'tcp', hostPort: 8080 }, { containerPort: 53, protocol: 'udp' }],
  command: [],
  volume: [{ source: 'cache', target: '/cache', readOnly: false }],
  env: ['A=1'],
  replicas: 2,
  minReplicas: 0,
  maxReplicas: 0,
  minCPU: 0,
  maxCPU: 50,
  GPU: 0,
  isHPA: false,
  targetCPUUtilization: 0,
  targetMemUtilization: 0,
  minMemory: 0,
  maxMemory: 256,
  maxUnavailable: 0,
  maxSurge: 1,
  minReadySeconds: 0,
  createTime: 0,
};

const instance: InstanceRecord = { instanceId: 'd7-1', nodeId: 'node-a', version: '1.2', createTime: 0 };
const auth = { serveraddress: 'reg.example:5000', username: 'u', password: 'p' };
const hashOf = (v: Partial<AppVersion> = {}, d: Partial<DeployRecord> = {}, i: Partial<InstanceRecord> = {}) =>
  workloadSpecOf({ ...deploy, ...d }, { ...version, ...v }, { ...instance, ...i }).specHash;

describe('workloadSpecOf', () => {
  it('builds a spec the wire protocol accepts, in the namespace of the business', () => {
    const w = workloadSpecOf(deploy, version, instance, auth);
    expect(workloadSpec.parse(w)).toEqual(w);
    expect(w).toMatchObject({ instanceId: 'd7-1', deployId: 7, namespace: 'ns4', appName: 'nginx1', version: '1.2', image: 'nginx:1.25', maxCPU: 50, maxMemory: 256, gpu: 0, pullAuth: auth });
    expect(w.ports).toEqual([{ containerPort: 80, protocol: 'tcp', hostPort: 8080 }, { containerPort: 53, protocol: 'udp' }]);
    expect(workloadSpecOf(deploy, version, instance).pullAuth).toBeUndefined();
  });

  it('has a stable specHash', () => {
    expect(hashOf()).toBe(hashOf());
    expect(hashOf()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keeps the specHash when only the deploy id or the pull credentials change (a takeover restarts nothing)', () => {
    expect(hashOf({}, { id: 99 })).toBe(hashOf());
    expect(workloadSpecOf(deploy, version, instance, auth).specHash).toBe(hashOf());
    expect(workloadSpecOf(deploy, version, instance, { ...auth, password: 'rotated' }).specHash).toBe(hashOf());
  });

  it.each([
    ['image', { image: 'nginx:1.26' }],
    ['env', { env: ['A=2'] }],
    ['command', { command: ['nginx', '-T'] }],
    ['ports', { port: [{ containerPort: 81, protocol: 'tcp' as const }] }],
    ['volumes', { volume: [{ source: 'cache', target: '/cache', readOnly: true }] }],
    ['maxCPU', { maxCPU: 60 }],
    ['maxMemory', { maxMemory: 512 }],
    ['minMemory', { minMemory: 64 }],
    ['GPU', { GPU: 1 }],
    ['version', { version: '1.3' }],
  ])('changes the specHash when %s changes', (_, over) => {
    expect(hashOf(over)).not.toBe(hashOf());
  });

  it('differs per instance and per namespace', () => {
    expect(hashOf({}, {}, { instanceId: 'd7-2' })).not.toBe(hashOf());
    expect(hashOf({}, { businessId: 5 })).not.toBe(hashOf());
  });
});
