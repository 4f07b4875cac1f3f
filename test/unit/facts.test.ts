import { describe, expect, it } from 'vitest';
import { composeFacts, type RawFacts } from '../../agent/src/facts.js';
import { factsSchema } from '../../shared/src/protocol.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const linux: RawFacts = {
  os: { platform: 'linux', kernel: '6.1.0-18-amd64', arch: 'x64', hostname: 'gz-cam-1', distro: 'Debian GNU/Linux', release: '12' },
  logicalCores: 8,
  memoryBytes: 16 * GiB,
  gpus: [{ vram: 8192 }, { vram: 4096 }],
  filesystems: [{ fs: '/dev/nvme0n1p2', type: 'ext4', size: 500 * GiB }],
  defaultInterface: 'eth0',
  interfaces: [
    { iface: 'lo', ip4: '127.0.0.1', internal: true },
    { iface: 'docker0', ip4: '172.17.0.1', internal: false },
    { iface: 'eth0', ip4: '10.0.0.7', internal: false },
  ],
};

describe('composeFacts', () => {
  it('turns a full reading into the node facts', () => {
    const f = composeFacts(linux);
    expect(f).toEqual({
      operatingSystem: 'Linux',
      kernelVersion: '6.1.0-18-amd64',
      ip: '10.0.0.7',
      cpu: 8,
      memory: 16 * GiB,
      gpu: 12_288 * MiB,
      disk: 500 * GiB,
      hostname: 'gz-cam-1',
      arch: 'x64',
      distro: 'Debian GNU/Linux 12',
    });
    expect(factsSchema.safeParse(f).success).toBe(true);
  });

  it('copes with nothing known at all', () => {
    const f = composeFacts({});
    expect(f).toEqual({ operatingSystem: '', kernelVersion: '', ip: '', cpu: 0, memory: 0, gpu: 0, disk: 0 });
    expect(factsSchema.safeParse(f).success).toBe(true);
  });

  it('reports 0 GPU memory without a GPU or when the VRAM is unknown', () => {
    expect(composeFacts({ ...linux, gpus: [] }).gpu).toBe(0);
    expect(composeFacts({ ...linux, gpus: undefined }).gpu).toBe(0);
    expect(composeFacts({ ...linux, gpus: [{ vram: null }, {}, { vram: -1 }, { vram: Number.NaN }] }).gpu).toBe(0);
  });

  it('sums VRAM (MB) over controllers into bytes', () => {
    expect(composeFacts({ ...linux, gpus: [{ vram: 24_576 }, { vram: null }, { vram: 1024 }] }).gpu).toBe(25_600 * MiB);
  });

  it('reports 0 CPUs and 0 memory when they are missing or nonsense', () => {
    for (const v of [undefined, 0, -4, Number.NaN, Number.POSITIVE_INFINITY]) {
      const f = composeFacts({ ...linux, logicalCores: v, memoryBytes: v });
      expect([f.cpu, f.memory]).toEqual([0, 0]);
      expect(factsSchema.safeParse(f).success).toBe(true);
    }
  });

  it('reports 0 disk without filesystems', () => {
    expect(composeFacts({ ...linux, filesystems: undefined }).disk).toBe(0);
    expect(composeFacts({ ...linux, filesystems: [] }).disk).toBe(0);
  });

  it('counts each block device once and only local block-device filesystems', () => {
    const f = composeFacts({
      ...linux,
      filesystems: [
        { fs: '/dev/sda1', type: 'ext4', size: 100 * GiB },
        { fs: '/dev/sda1', type: 'ext4', size: 100 * GiB }, // a bind mount of the same device
        { fs: '/dev/sdb', type: 'btrfs', size: 2000 * GiB },
        { fs: '/dev/sdb', type: 'btrfs', size: 2000 * GiB }, // a subvolume
        { fs: '/dev/mapper/vg-data', type: 'XFS', size: 50 * GiB },
        { fs: 'tmpfs', type: 'tmpfs', size: 8 * GiB },
        { fs: '/dev/shm', type: 'tmpfs', size: 8 * GiB },
        { fs: 'overlay', type: 'overlay', size: 100 * GiB },
        { fs: '/dev/sdc1', type: 'overlay', size: 100 * GiB },
        { fs: 'nas:/export', type: 'nfs4', size: 10_000 * GiB },
        { fs: '//nas/share', type: 'cifs', size: 10_000 * GiB },
        { fs: '/dev/sdd1', type: 'nfs', size: 10_000 * GiB },
        { fs: '/dev/loop0', type: 'squashfs', size: 1 * GiB },
        { fs: '/dev/sde1', type: 'ext4' },
      ],
    });
    expect(f.disk).toBe(2150 * GiB);
  });

  it('counts a ZFS pool once, whatever its datasets', () => {
    const f = composeFacts({
      ...linux,
      filesystems: [
        { fs: 'rpool/ROOT/ubuntu', type: 'zfs', size: 900 * GiB },
        { fs: 'rpool/home', type: 'zfs', size: 950 * GiB },
        { fs: 'tank', type: 'zfs', size: 4000 * GiB },
        { fs: 'rpool', type: 'zfs', size: 950 * GiB },
      ],
    });
    expect(f.disk).toBe(4950 * GiB);
  });

  it('takes the IP of the default interface', () => {
    expect(composeFacts(linux).ip).toBe('10.0.0.7');
  });

  it('falls back to the first external interface with an IPv4', () => {
    const interfaces = [
      { iface: 'lo', ip4: '127.0.0.1', internal: true },
      { iface: 'wg0', ip4: '', internal: false },
      { iface: 'eth1', ip4: '192.168.1.20', internal: false },
      { iface: 'eth2', ip4: '192.168.2.20', internal: false },
    ];
    expect(composeFacts({ ...linux, defaultInterface: undefined, interfaces }).ip).toBe('192.168.1.20');
    expect(composeFacts({ ...linux, defaultInterface: 'eth9', interfaces }).ip).toBe('192.168.1.20');
    // The default interface without an IPv4 (IPv6 only) does not count.
    expect(composeFacts({ ...linux, defaultInterface: 'wg0', interfaces }).ip).toBe('192.168.1.20');
    expect(composeFacts({ ...linux, interfaces: [{ iface: 'lo', ip4: '127.0.0.1', internal: true }] }).ip).toBe('');
  });

  it('names the operating system from the platform', () => {
    expect(composeFacts({ os: { platform: 'darwin' } }).operatingSystem).toBe('Darwin');
    expect(composeFacts({ os: { platform: 'win32' } }).operatingSystem).toBe('Windows');
    expect(composeFacts({ os: { platform: 'freebsd' } }).operatingSystem).toBe('freebsd');
  });

  it('leaves optional facts out when unknown', () => {
    const f = composeFacts({ os: { platform: 'linux', kernel: '6.1' } });
    expect(Object.keys(f)).not.toContain('hostname');
    expect(Object.keys(f)).not.toContain('arch');
    expect(Object.keys(f)).not.toContain('distro');
  });
});
