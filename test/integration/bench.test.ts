import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newestMtime, ROOT } from '../helpers/processes.js';

const BENCH = join(ROOT, 'dist/scripts/bench.js');

/** Builds dist/ when the bench (or the hub it runs) is older than its sources, so this file can run alone. */
function ensureBenchBuilt(): void {
  const built = statSync(BENCH, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(...['scripts', 'hub/src', 'shared/src'].map((d) => newestMtime(join(ROOT, d), '.ts')));
  if (built >= sources) return;
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { cwd: ROOT, encoding: 'utf8' });
  if (!statSync(BENCH, { throwIfNoEntry: false })) throw new Error(`tsc did not produce ${BENCH}`);
}

let dir: string;

beforeAll(async () => {
  ensureBenchBuilt();
  dir = await mkdtemp(join(tmpdir(), 'bench-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REQUIRED = [
  'agents',
  'heartbeatMs',
  'hubCpuPct',
  'hubRssMb',
  'heartbeatsPerSec',
  'hubPingsPerSec',
  'nodeListP50Ms',
  'nodeListP99Ms',
  'detectP50Ms',
  'detectMaxMs',
  'reconnectAllMs',
  'storeWritesPerSec',
  'storeFileMb',
];

describe('npm run bench (quick mode)', () => {
  it('runs a hub, simulated agents and REST load end to end and writes every result key', { timeout: 120_000 }, async () => {
    const out = join(dir, 'results.json');
    const child = spawn(process.execPath, [BENCH, '--agents', '50', '--duration', '5', '--quick', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, output).toBe(0);
    expect(output).toContain('bench: written to');

    const results = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
    for (const key of REQUIRED) expect(typeof results[key], key).toBe('number');
    // No timings are asserted: only that every phase ran and saw every agent.
    expect(results).toMatchObject({ agents: 50, quick: true, detectMissed: 0 });
    expect(results.heartbeatsPerSec).toBeGreaterThan(0);
    // Heartbeating agents prove their links: the hub pings hardly any of them.
    expect(results.hubPingsPerSec as number).toBeLessThan((results.heartbeatsPerSec as number) / 10);
    expect(results.detectVictims).toBeGreaterThan(0);
  });
});
