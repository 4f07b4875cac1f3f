import { cpus, freemem, totalmem } from 'node:os';

type Times = { idle: number; total: number };

function sample(): Times {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** CPU busy percentage between two samples (0 when no time passed). */
export function cpuPercent(a: Times, b: Times): number {
  const total = b.total - a.total;
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, (100 * (total - (b.idle - a.idle))) / total));
}

/** Cheap CPU and memory load for heartbeats: CPU since the previous call, memory now. */
export class LoadMeter {
  private last = sample();

  read(): { cpuLoad: number; memLoad: number } {
    const now = sample();
    const cpuLoad = cpuPercent(this.last, now);
    this.last = now;
    const total = totalmem();
    const memLoad = total > 0 ? (100 * (total - freemem())) / total : 0;
    return { cpuLoad: Math.round(cpuLoad * 10) / 10, memLoad: Math.round(memLoad * 10) / 10 };
  }
}
