import { AppError } from '../errors.js';
import type { RegistryClient } from './client.js';
import { mapLimit } from '../../../shared/src/map-limit.js';

/** An image as the registry has it: a repository and its tags. */
export interface RegistryImage {
  name: string;
  tags: string[];
}

/** The images under `project/`: repositories that have tags (deleted images leave an empty repository). */
export async function imagesOf(reg: RegistryClient, project: string): Promise<RegistryImage[]> {
  const names = await reg.catalog(project);
  const rows = await mapLimit(names, 8, async (name) => ({ name, tags: await reg.tags(name) }));
  return rows.filter((r) => r.tags.length > 0);
}

/** The build times of an image's tags: [oldest, newest], Unix seconds (0 when unknown). */
export async function buildTimes(reg: RegistryClient, name: string, tags: string[]): Promise<[number, number]> {
  const ts = await mapLimit(tags, 8, async (t) => (await describeTag(reg, name, t)).created);
  const known = ts.filter((t) => t > 0);
  return known.length ? [Math.min(...known), Math.max(...known)] : [0, 0];
}

/** One tag with its manifest digest and build time. */
export async function describeTag(reg: RegistryClient, name: string, tag: string) {
  const digest = (await reg.digest(name, tag)) ?? '';
  const created = digest ? await reg.createdTime(name, digest) : 0;
  return { tag, digest, created };
}

/** Deletes every manifest the tags point at. */
export async function deleteImage(reg: RegistryClient, name: string, tags: string[]): Promise<void> {
  const digests = new Set((await mapLimit(tags, 8, (t) => reg.digest(name, t))).filter((d): d is string => d !== undefined));
  for (const d of digests) await reg.deleteManifest(name, d);
}

/**
 * Deletes `doomed` tags of an image whose tags are `all`. The registry deletes manifests, not tags: a
 * manifest that kept tags share is deleted and put back under them (same bytes, same digest).
 * Throws a 503 naming the tags that could not be put back.
 */
export async function deleteTags(reg: RegistryClient, name: string, all: string[], doomed: Set<string>): Promise<void> {
  const digestOf = new Map(await mapLimit(all, 8, async (t) => [t, await reg.digest(name, t)] as const));
  const digests = new Set([...doomed].map((t) => digestOf.get(t)).filter((d): d is string => d !== undefined));
  for (const d of digests) {
    const keep = all.filter((t) => !doomed.has(t) && digestOf.get(t) === d);
    const manifest = keep.length ? await reg.manifest(name, d) : undefined;
    await reg.deleteManifest(name, d);
    if (!keep.length) continue;
    try {
      if (!manifest) throw new Error(`manifest ${d} vanished`);
      for (const t of keep) await reg.putManifest(name, t, manifest);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new AppError(503, `deleted ${[...doomed].join(', ')} of ${name} but could not put back ${keep.join(', ')} (same manifest; push them again): ${why}`);
    }
  }
}
