import { isAbsolute, normalize, sep } from 'node:path';

/**
 * Whether a host path may be mounted: absolute, free of `..`, and inside one of the allowed
 * prefixes (none by default, so no tenant mounts `/` or the Docker socket).
 */
export function hostPathAllowed(path: string, allowed: readonly string[]): boolean {
  if (!isAbsolute(path) || path.split(/[\\/]/).includes('..')) return false;
  const p = normalize(path);
  return allowed.some((prefix) => {
    const base = normalize(prefix).replace(/\/+$/, '');
    return base !== '' && (p === base || p.startsWith(base + sep));
  });
}
