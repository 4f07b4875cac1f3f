import type { HubContext } from '../context.js';

/** Control loops: the workload planner (on events and each second) and the load alerts. Returns a stop function. */
export function startControllers(ctx: HubContext, tickMs = 1000): () => void {
  const tick = () => void ctx.workloads.tick().catch((e: Error) => ctx.log.error('workload planning failed', { error: e.message }));
  const stopAlerts = ctx.alerts.start();
  const unsubscribe = ctx.events.subscribe((e) => {
    if (e.kind === 'node.ready' || e.kind === 'node.joined' || e.kind === 'node.deleted') tick();
  });
  const timers = [setInterval(tick, tickMs), setInterval(() => ctx.alerts.checkLoad(), 5000)];
  for (const t of timers) t.unref();
  return () => {
    for (const t of timers) clearInterval(t);
    unsubscribe();
    stopAlerts();
  };
}
