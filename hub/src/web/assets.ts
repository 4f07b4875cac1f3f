import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (from hub/src/web or dist/hub/src/web): where hub/public lives. */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'hub', 'public'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find hub/public above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

export const PUBLIC_DIR = join(ROOT, 'hub', 'public');

/** swagger-ui-dist's folder, resolved like any dependency. */
export const SWAGGER_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface Asset {
  body: Uint8Array;
  type: string;
}

const cache = new Map<string, Asset>();

/** A file read once and kept in memory (the few files served are small or read once anyway). */
export function asset(file: string): Asset {
  let a = cache.get(file);
  if (!a) {
    const ext = file.slice(file.lastIndexOf('.'));
    a = { body: readFileSync(file), type: TYPES[ext] ?? 'application/octet-stream' };
    cache.set(file, a);
  }
  return a;
}

/** A page policy: everything from the hub itself, scripts never inline, no frames; `style` and `font` are the sources those allow. */
const csp = (style: string, font: string) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    `style-src ${style}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    `font-src ${font}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

/** The dashboard's policy: nothing inline at all. */
export const DASHBOARD_CSP = csp("'self'", "'self'");

/** Swagger UI's: it sets inline styles and data: fonts, so those are allowed. */
export const DOCS_CSP = csp("'self' 'unsafe-inline'", "'self' data:");
