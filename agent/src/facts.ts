import { cpus, release, totalmem, type } from 'node:os';
import si from 'systeminformation';
import type { Facts } from '../../shared/src/protocol.js';

/** What composeFacts needs from systeminformation (every part may be missing). */
export interface RawFacts {
  os?: { platform?: string; kernel?: string; arch?: string; hostname?: string; distro?: string; release?: string };
  logicalCores?: number;
  memoryBytes?: number;
  gpus?: { vram?: number | null }[];
  filesystems?: { fs?: string; type?: string; size?: number }[];
  defaultInterface?: string;
  interfaces?: { iface?: string; ip4?: string; internal?: boolean }[];
}

/** Filesystem types that live on a local block device. */
const LOCAL_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'jfs', 'reiserfs', 'vfat', 'exfat', 'ntfs', 'ntfs3', 'hfs', 'apfs']);

const clip = (s: string, max: number) => (s.length > max ? s.slice(0, max) : s);

const nonNegInt = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/** Turns raw readings into the node facts of API-NOTES, coping with missing values. */
export function composeFacts(r: RawFacts): Facts {
  const platform = r.os?.platform ?? '';
  const operatingSystem = platform === 'linux' ? 'Linux' : platform === 'darwin' ? 'Darwin' : platform === 'win32' ? 'Windows' : platform;
  // Each block device once: bind mounts and subvolumes show the same device several times.
  const seen = new Map<string, number>();
  for (const f of r.filesystems ?? []) {
    const type = (f.type ?? '').toLowerCase();
    if (!f.fs || !LOCAL_FS.has(type)) continue;
    // ZFS datasets name their pool ("tank/data"), not a /dev path: the pool is the device.
    const device = f.fs.startsWith('/dev/') ? f.fs : type === 'zfs' ? `zfs:${f.fs.split('/')[0]}` : undefined;
    if (!device) continue;
    seen.set(device, Math.max(seen.get(device) ?? 0, nonNegInt(f.size)));
  }
  const disk = [...seen.values()].reduce((a, b) => a + b, 0);
  const gpuMb = (r.gpus ?? []).reduce((a, g) => a + nonNegInt(g.vram), 0);
  const iface = (r.interfaces ?? []).find((i) => i.iface === r.defaultInterface && i.ip4);
  const fallback = (r.interfaces ?? []).find((i) => !i.internal && i.ip4);
  // Strings are clipped to what the protocol accepts, so an odd kernel or distro string never
  // gets every hello refused.
  return {
    operatingSystem: clip(operatingSystem, 64),
    kernelVersion: clip(r.os?.kernel ?? '', 128),
    ip: clip(iface?.ip4 ?? fallback?.ip4 ?? '', 64),
    cpu: Math.min(nonNegInt(r.logicalCores), 100_000),
    memory: nonNegInt(r.memoryBytes),
    gpu: gpuMb * 1024 * 1024,
    disk,
    ...(r.os?.hostname ? { hostname: clip(r.os.hostname, 255) } : {}),
    ...(r.os?.arch ? { arch: clip(r.os.arch, 32) } : {}),
    ...(r.os?.distro ? { distro: clip([r.os.distro, r.os.release].filter(Boolean).join(' '), 128) } : {}),
  };
}

async function settle<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/** Reads the machine's facts; each reading that fails is left out rather than failing them all. */
export async function collectFacts(): Promise<Facts> {
  const [os, graphics, filesystems, defaultInterface, interfaces] = await Promise.all([
    settle(si.osInfo()),
    settle(si.graphics()),
    settle(si.fsSize()),
    settle(si.networkInterfaceDefault()),
    settle(si.networkInterfaces()),
  ]);
  return composeFacts({
    os: os ?? { platform: process.platform, kernel: release(), arch: process.arch, distro: type() },
    logicalCores: cpus().length,
    memoryBytes: totalmem(),
    gpus: graphics?.controllers,
    filesystems,
    defaultInterface,
    interfaces: Array.isArray(interfaces) ? interfaces : interfaces ? [interfaces] : [],
  });
}
