import { describe, expect, it } from 'vitest';
import { containerName, createOptions, demuxLogLines, type Owner } from '../../agent/src/docker-spec.js';
import { hostPathAllowed } from '../../agent/src/host-paths.js';
import type { WorkloadSpec } from '../../shared/src/protocol.js';

const owner: Owner = { nodeName: 'gz1', clusterName: 'GuangZhou', hostPathAllow: ['/data/vsm', '/srv/cams/'] };

function spec(over: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    instanceId: 'd7-3',
    deployId: 7,
    namespace: 'ns4',
    appName: 'nginx1',
    version: '1.2',
    image: 'nginx:1.25',
    command: [],
    env: ['A=1'],
    ports: [],
    volumes: [],
    maxCPU: 0,
    maxMemory: 0,
    minMemory: 0,
    gpu: 0,
    specHash: 'h1',
    ...over,
  };
}

describe('createOptions', () => {
  it('labels the container with its node, cluster, namespace, app and instance, and joins the namespace network', () => {
    const o = createOptions(spec(), owner);
    expect(o.name).toBe(containerName('gz1', 'd7-3'));
    expect(o.Image).toBe('nginx:1.25');
    expect(o.Env).toEqual(['A=1']);
    expect(o.Cmd).toBeUndefined();
    expect(o.Labels).toMatchObject({
      'vsm.node': 'gz1',
      'vsm.cluster': 'GuangZhou',
      'vsm.namespace': 'ns4',
      'vsm.app': 'nginx1',
      'vsm.instance': 'd7-3',
      'vsm.deploy': '7',
      'vsm.spec': 'h1',
      'vsm.version': '1.2',
    });
    expect(o.HostConfig?.NetworkMode).toBe('ns4');
    expect(o.HostConfig?.RestartPolicy?.Name).toBe('always');
  });

  it('passes the command when there is one', () => {
    expect(createOptions(spec({ command: ['nginx', '-g', 'daemon off;'] }), owner).Cmd).toEqual(['nginx', '-g', 'daemon off;']);
  });

  it('sets no limits when none are asked for', () => {
    const h = createOptions(spec(), owner).HostConfig!;
    for (const k of ['CpuPeriod', 'CpuQuota', 'Memory', 'MemoryReservation', 'DeviceRequests'] as const) expect(h[k]).toBeUndefined();
  });

  it.each([
    ['maxCPU 50% of a core', { maxCPU: 50 }, { CpuPeriod: 100_000, CpuQuota: 50_000 }],
    ['maxCPU 250% (2.5 cores)', { maxCPU: 250 }, { CpuPeriod: 100_000, CpuQuota: 250_000 }],
    ['maxMemory 512 MB', { maxMemory: 512 }, { Memory: 512 * 1024 * 1024 }],
    ['minMemory 64 MB as a reservation', { minMemory: 64 }, { MemoryReservation: 64 * 1024 * 1024 }],
    ['GPU 2 as an nvidia device request', { gpu: 2 }, { DeviceRequests: [{ Driver: 'nvidia', Count: 2, Capabilities: [['gpu']] }] }],
  ] as const)('maps %s', (_, over, want) => {
    expect(createOptions(spec(over), owner).HostConfig).toMatchObject(want);
  });

  it('exposes every port and publishes those with a hostPort', () => {
    const o = createOptions(
      spec({ ports: [{ containerPort: 80, protocol: 'tcp', hostPort: 8080 }, { containerPort: 5353, protocol: 'udp' }] }),
      owner,
    );
    expect(o.ExposedPorts).toEqual({ '80/tcp': {}, '5353/udp': {} });
    expect(o.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostPort: '8080' }] });
  });

  it('scopes a named volume to the namespace so that tenants never share one', () => {
    const o = createOptions(spec({ volumes: [{ source: 'cache', target: '/var/cache/nginx', readOnly: false }, { source: 'conf', target: '/etc/x', readOnly: true }] }), owner);
    expect(o.HostConfig?.Binds).toEqual(['ns4_cache:/var/cache/nginx', 'ns4_conf:/etc/x:ro']);
  });

  it('mounts a host path inside the allow-list', () => {
    const o = createOptions(spec({ volumes: [{ source: '/data/vsm/cam1', target: '/rec', readOnly: true }, { source: '/srv/cams', target: '/cams', readOnly: false }] }), owner);
    expect(o.HostConfig?.Binds).toEqual(['/data/vsm/cam1:/rec:ro', '/srv/cams:/cams']);
  });

  it.each([
    ['outside the allow-list', '/etc'],
    ['the Docker socket', '/var/run/docker.sock'],
    ['a sibling sharing the prefix', '/data/vsmx'],
    ['an escape with ..', '/data/vsm/../../etc'],
  ])('refuses a host path %s', (_, source) => {
    expect(() => createOptions(spec({ volumes: [{ source, target: '/mnt', readOnly: false }] }), owner)).toThrow(/allow-list/);
  });

  it('refuses every host path when the node allows none', () => {
    expect(() => createOptions(spec({ volumes: [{ source: '/data/vsm', target: '/mnt', readOnly: false }] }), { ...owner, hostPathAllow: [] })).toThrow();
  });
});

describe('hostPathAllowed', () => {
  const allow = ['/data/vsm', '/srv/cams/'];
  it.each([
    ['/data/vsm', true],
    ['/data/vsm/', true],
    ['/data/vsm/cam1/2026', true],
    ['/srv/cams', true],
    ['/srv/cams/x', true],
    ['/data/vsmx', false],
    ['/data/vsmx/cam1', false],
    ['/data', false],
    ['/', false],
    ['/data/vsm/../other', false],
    ['/data/vsm/..', false],
    ['data/vsm/cam1', false],
    ['', false],
    ['/srv/camsX', false],
  ])('%s -> %s', (path, want) => {
    expect(hostPathAllowed(path, allow)).toBe(want);
  });

  it('never treats an empty or root prefix as allowing everything', () => {
    expect(hostPathAllowed('/etc', [''])).toBe(false);
    expect(hostPathAllowed('/etc', ['/'])).toBe(false);
    expect(hostPathAllowed('/etc', [])).toBe(false);
  });
});

/** One frame of Docker's multiplexed stream: [stream, 0, 0, 0, size(4, big-endian)] + payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demuxLogLines', () => {
  it('splits multiplexed stdout and stderr frames into lines', () => {
    const buf = Buffer.concat([frame(1, 'started\n'), frame(2, 'warn: disk 91%\n'), frame(1, 'line a\nline b\n')]);
    expect(demuxLogLines(buf)).toEqual(['started', 'warn: disk 91%', 'line a', 'line b']);
  });

  it('joins a line split across frames', () => {
    expect(demuxLogLines(Buffer.concat([frame(1, 'hel'), frame(1, 'lo\n')]))).toEqual(['hello']);
  });

  it('keeps multi-byte characters intact', () => {
    expect(demuxLogLines(frame(1, '摄像头 1 在线\n'))).toEqual(['摄像头 1 在线']);
  });

  it('reads a raw TTY buffer as text', () => {
    expect(demuxLogLines(Buffer.from('tty line 1\ntty line 2\n'))).toEqual(['tty line 1', 'tty line 2']);
    expect(demuxLogLines(Buffer.from('no newline at the end'))).toEqual(['no newline at the end']);
  });

  it('gives no lines for an empty log', () => {
    expect(demuxLogLines(Buffer.alloc(0))).toEqual([]);
    expect(demuxLogLines(frame(1, ''))).toEqual([]);
  });
});
