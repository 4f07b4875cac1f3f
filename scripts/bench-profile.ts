/**
 * Where a V8 .cpuprofile spends its time: self time per function, heaviest first.
 *
 *   node dist/scripts/bench-profile.js bench/profiles/steady-10000.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { numArg } from './bench-util.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  fn: string;
  where: string;
  selfMs: number;
  selfPct: number;
}

/** Self time per function (summed over every node of the same function and place). */
export function hotSpots(p: CpuProfile, top = 25): { totalMs: number; idlePct: number; rows: HotSpot[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  const totalUs = p.endTime - p.startTime;
  const sums = new Map<string, HotSpot>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') idleUs += us;
    const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
    const key = `${f.functionName}|${file}:${f.lineNumber + 1}`;
    const row = sums.get(key) ?? { fn: f.functionName || '(anonymous)', where: file ? `${file}:${f.lineNumber + 1}` : '', selfMs: 0, selfPct: 0 };
    row.selfMs += us / 1000;
    sums.set(key, row);
  }
  const rows = [...sums.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const r of rows) {
    r.selfPct = Math.round((1000 * r.selfMs * 1000) / totalUs) / 10;
    r.selfMs = Math.round(r.selfMs);
  }
  return { totalMs: Math.round(totalUs / 1000), idlePct: Math.round((1000 * idleUs) / totalUs) / 10, rows };
}

export function printHotSpots(title: string, p: CpuProfile, top = 25): void {
  const h = hotSpots(p, top);
  process.stdout.write(`\n${title}: ${h.totalMs} ms profiled, ${h.idlePct}% idle\n`);
  console.table(h.rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: bench-profile FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  printHotSpots(file, JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, numArg('top', 25));
}
