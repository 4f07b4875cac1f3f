import { readFileSync } from 'node:fs';

/** The project's version from package.json (hub and agent report it). */
export const VERSION: string = (() => {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vsm-edge' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate (source and compiled layouts differ by one level)
    }
  }
  return '0.0.0';
})();
