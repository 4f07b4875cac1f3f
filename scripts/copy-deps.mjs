// Copies the packages that the compiled code in DIRs imports, and everything those load
// (dependencies, optional and peer dependencies that are installed), from ./node_modules into
// DEST/node_modules with npm's layout. The Dockerfiles and scripts/install-agent.sh use it so each
// program carries only its own dependencies (the hub has no dockerode, the agent no swagger-ui-dist).
// Specifiers are found in `import ... from 'x'`, `import('x')`, `require('x')` and
// `createRequire(...).resolve('x/...')`.
//   node scripts/copy-deps.mjs DEST DIR...
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';

const [dest, ...dirs] = process.argv.slice(2);
if (!dest || dirs.length === 0) {
  console.error('usage: node scripts/copy-deps.mjs DEST DIR...');
  process.exit(2);
}
const cwd = process.cwd();
const top = join(cwd, 'node_modules');

/** Package names of the bare specifiers imported, required or resolved in .js files under dir. */
function importsOf(dir, out = new Set()) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) importsOf(p, out);
    else if (e.name.endsWith('.js')) {
      for (const m of readFileSync(p, 'utf8').matchAll(/(?:\bfrom|\bimport\s*\(|\brequire\s*\(|\brequire\.resolve\s*\(|\)\.resolve\s*\()\s*['"]([^'".\/][^'"]*)['"]/g)) {
        const spec = m[1];
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        out.add(spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'));
      }
    }
  }
  return out;
}

/** Node's lookup: node_modules/<name> beside `from`, then in each parent up to the project. */
function resolve(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === cwd || dir === dirname(dir)) return undefined;
  }
}

const roots = new Set();
for (const d of dirs) importsOf(d, roots);
const seen = new Set();
const queue = [...roots].map((name) => ({ name, from: cwd, required: true }));
while (queue.length) {
  const { name, from, required } = queue.shift();
  const dir = resolve(name, from);
  if (!dir) {
    if (required) throw new Error(`${name} is not installed (needed by ${relative(cwd, from) || 'the code'})`);
    continue;
  }
  if (seen.has(dir)) continue;
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const d of Object.keys(pkg.dependencies ?? {})) queue.push({ name: d, from: dir, required: true });
  for (const d of Object.keys({ ...pkg.optionalDependencies, ...pkg.peerDependencies })) queue.push({ name: d, from: dir, required: false });
}
// A nested node_modules comes along with its parent package; copying it again is harmless.
for (const dir of seen) cpSync(dir, join(dest, 'node_modules', relative(top, dir)), { recursive: true, verbatimSymlinks: true });
console.log(`copy-deps: ${seen.size} packages for ${[...roots].sort().join(' ')}`);
